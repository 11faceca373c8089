import { css } from 'lit'

export const callLogStyles = css`
  :host {
    display: block;
    --row-height: calc(var(--al-size-space) * 5);
  }
  .base {
    display: grid;
    gap: var(--al-size-space);
    padding: var(--al-size-space);
  }
  .header h2 {
    margin: 0;
    font-size: calc(var(--al-size-font) * 1.25);
  }
  .filters {
    display: flex;
    flex-wrap: wrap;
    gap: var(--al-size-space);
    align-items: end;
  }
  .filters label {
    display: grid;
    gap: calc(var(--al-size-space) * 0.25);
    color: var(--al-color-muted);
    font-size: calc(var(--al-size-font) * 0.9);
  }
  .filters .search {
    flex: 1 1 14em;
  }
  .filters input,
  .filters select {
    color: var(--al-color-text);
  }
  .scroll {
    overflow-x: auto;
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  table[aria-busy='true'] tbody {
    opacity: 0.6;
  }
  th {
    text-align: start;
    font-weight: 600;
    color: var(--al-color-muted);
    border-bottom: 1px solid var(--al-color-border);
    padding: calc(var(--al-size-space) * 0.5) var(--al-size-space);
    white-space: nowrap;
  }
  td {
    height: var(--row-height);
    padding: 0 var(--al-size-space);
    border-bottom: 1px solid var(--al-color-border);
  }
  tbody tr {
    cursor: pointer;
  }
  tbody tr:hover,
  tbody tr[aria-current='true'] {
    background: var(--al-color-surface-raised);
  }
  tbody tr[aria-current='true'] td:first-child {
    box-shadow: inset 3px 0 0 var(--al-color-brand);
  }
  tbody tr:focus-visible {
    outline-offset: -2px;
  }
  .badge {
    display: inline-block;
    padding: 0 calc(var(--al-size-space) * 0.5);
    border: 1px solid currentColor;
    border-radius: var(--al-size-radius);
    font-size: calc(var(--al-size-font) * 0.85);
    color: var(--al-color-muted);
    white-space: nowrap;
  }
  .badge.hot {
    color: var(--al-color-danger);
  }
  /* The brand colour is the tenant's and may be dark on a dark theme: it marks the border only. */
  .badge.warm {
    color: var(--al-color-text);
    border-color: var(--al-color-brand);
  }
  .state {
    margin: 0;
    padding: calc(var(--al-size-space) * 2) var(--al-size-space);
    color: var(--al-color-muted);
    text-align: center;
  }
  [part='error'] {
    color: var(--al-color-danger);
  }
  .load-more {
    justify-self: center;
  }
`
