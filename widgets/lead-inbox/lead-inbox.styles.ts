import { css } from 'lit'

export const leadInboxStyles = css`
  /* Knobs are read with their defaults as fallbacks, never declared here: a declaration on an inner
     element would shadow the value a host sets on the element. */
  .base {
    padding: var(--al-size-space);
  }
  .title {
    font-size: 1.15em;
    margin: 0 0 var(--al-size-space);
  }
  h3,
  h4 {
    margin: var(--al-size-space) 0 calc(var(--al-size-space) * 0.5);
  }
  .muted {
    color: var(--al-color-muted);
  }
  .filters {
    display: flex;
    flex-wrap: wrap;
    gap: var(--al-size-space);
    align-items: end;
    margin-bottom: var(--al-size-space);
  }
  .filters label {
    display: flex;
    flex-direction: column;
    gap: 2px;
    color: var(--al-color-muted);
  }
  .filters label.check {
    flex-direction: row;
    align-items: center;
    gap: calc(var(--al-size-space) * 0.5);
  }
  .panes {
    display: grid;
    grid-template-columns: minmax(0, var(--lead-inbox-list-width, 20rem)) minmax(0, 1fr);
    gap: calc(var(--al-size-space) * 2);
  }
  @media (max-width: 40rem) {
    .panes {
      grid-template-columns: minmax(0, 1fr);
    }
  }
  .list,
  .notes,
  [part~='sync'] ul {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .item {
    display: grid;
    gap: 2px;
    width: 100%;
    text-align: start;
    margin-bottom: calc(var(--al-size-space) * 0.5);
    padding: var(--al-size-space);
  }
  .item[aria-current='true'] {
    border-color: var(--al-color-brand);
    box-shadow: inset 3px 0 0 var(--al-color-brand);
  }
  .who {
    font-weight: 600;
  }
  .reason {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .badges {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
  }
  .badge {
    font-size: 0.8em;
    border: 1px solid var(--al-color-border);
    border-radius: var(--al-size-radius);
    padding: 0 4px;
    color: var(--al-color-text);
  }
  .badge.temp-hot {
    border-color: var(--lead-inbox-hot, var(--al-color-danger));
    color: var(--lead-inbox-hot, var(--al-color-danger));
  }
  .badge.temp-warm,
  .badge.review {
    border-color: var(--al-color-brand);
  }
  .more {
    width: 100%;
  }
  [part~='card'] {
    background: var(--al-color-surface-raised);
    border: 1px solid var(--al-color-border);
    border-radius: var(--al-size-radius);
    padding: var(--al-size-space) calc(var(--al-size-space) * 1.5);
  }
  .status-row,
  .actions {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: var(--al-size-space);
    margin: var(--al-size-space) 0;
  }
  .fields {
    margin: var(--al-size-space) 0;
  }
  .fields [part~='field'] {
    display: grid;
    grid-template-columns: minmax(8rem, 30%) minmax(0, 1fr);
    gap: var(--al-size-space);
    padding: 2px 0;
  }
  dt {
    color: var(--al-color-muted);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .edit-field {
    display: grid;
    gap: 2px;
    margin-bottom: var(--al-size-space);
  }
  .field-error,
  [part~='error'] {
    color: var(--al-color-danger);
  }
  textarea {
    width: 100%;
    box-sizing: border-box;
  }
  .add-note {
    margin-top: var(--al-size-space);
  }
  .add-note label {
    display: block;
    margin-bottom: 2px;
  }
  [part~='note'] {
    border-top: 1px solid var(--al-color-border);
    padding: calc(var(--al-size-space) * 0.5) 0;
  }
  .note-body {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    margin: 0;
  }
  [part~='note'] .muted {
    margin: 2px 0 0;
    font-size: 0.9em;
  }
  .sync-failed {
    color: var(--al-color-danger);
  }
  button:disabled {
    opacity: 0.6;
    cursor: default;
  }
`
