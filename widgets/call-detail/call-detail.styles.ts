import { css } from 'lit'

export const callDetailStyles = css`
  :host {
    display: block;
  }
  .base {
    display: grid;
    gap: var(--al-size-space);
    padding: var(--al-size-space);
    container-type: inline-size;
  }
  h2,
  h3 {
    margin: 0 0 var(--al-size-space);
  }
  h2 {
    font-size: calc(var(--al-size-font) * 1.25);
  }
  h3 {
    font-size: var(--al-size-font);
  }
  .facts {
    display: flex;
    flex-wrap: wrap;
    gap: var(--al-size-space) calc(var(--al-size-space) * 3);
    margin: 0;
  }
  .card .facts {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: calc(var(--al-size-space) * 0.5) var(--al-size-space);
  }
  .card .facts > div {
    display: contents;
  }
  dt {
    color: var(--al-color-muted);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .summary {
    margin: var(--al-size-space) 0 0;
  }
  .columns {
    display: grid;
    gap: var(--al-size-space);
  }
  @container (min-width: 40em) {
    .columns {
      grid-template-columns: 3fr 2fr;
      align-items: start;
    }
  }
  .side {
    display: grid;
    gap: var(--al-size-space);
  }
  .card {
    background: var(--al-color-surface-raised);
    border: 1px solid var(--al-color-border);
    border-radius: var(--al-size-radius);
    padding: var(--al-size-space);
  }
  .segments {
    list-style: none;
    margin: 0;
    padding: 0;
    max-height: 28em;
    overflow-y: auto;
    display: grid;
    gap: var(--al-size-space);
  }
  .segment {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0 var(--al-size-space);
  }
  .speaker {
    font-weight: 600;
  }
  .segment.agent {
    border-inline-start: 3px solid var(--al-color-brand);
    padding-inline-start: var(--al-size-space);
  }
  .segment:not(.agent) {
    padding-inline-start: calc(var(--al-size-space) + 3px);
  }
  .offset {
    color: var(--al-color-muted);
    font-variant-numeric: tabular-nums;
    justify-self: end;
  }
  .text {
    grid-column: 1 / -1;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .segment.system .text {
    color: var(--al-color-muted);
    font-style: italic;
  }
  audio {
    width: 100%;
  }
  .note,
  .state {
    margin: 0;
    color: var(--al-color-muted);
  }
  .state {
    padding: calc(var(--al-size-space) * 2) var(--al-size-space);
    text-align: center;
  }
  .error {
    color: var(--al-color-danger);
  }
  .badge {
    display: inline-block;
    padding: 0 calc(var(--al-size-space) * 0.5);
    border: 1px solid currentColor;
    border-radius: var(--al-size-radius);
    font-size: calc(var(--al-size-font) * 0.85);
    font-weight: normal;
    color: var(--al-color-muted);
  }
  .badge.hot,
  .badge.review {
    color: var(--al-color-danger);
  }
  /* The brand colour is the tenant's and may be dark on a dark theme: it marks borders only. */
  .badge.warm {
    color: var(--al-color-text);
    border-color: var(--al-color-brand);
  }
`
