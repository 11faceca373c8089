import { css } from 'lit'

export const styles = css`
  :host {
    display: block;
  }
  .base {
    display: grid;
    gap: var(--settings-gap, calc(var(--al-size-space) * 2));
    max-width: var(--settings-max-width, 48rem);
    padding: var(--al-size-space);
  }
  /* Native pickers (time, select) follow the theme. */
  :host([theme='dark']) .base {
    color-scheme: dark;
  }
  h2,
  h3 {
    margin: 0;
  }
  form {
    display: grid;
    gap: var(--settings-gap, calc(var(--al-size-space) * 2));
  }
  .section {
    display: grid;
    gap: var(--al-size-space);
    margin: 0;
    padding: var(--al-size-space) calc(var(--al-size-space) * 1.5) calc(var(--al-size-space) * 1.5);
    border: 1px solid var(--al-color-border);
    border-radius: var(--al-size-radius);
    background: var(--al-color-surface);
  }
  legend {
    font-weight: 600;
    padding: 0 calc(var(--al-size-space) * 0.5);
  }
  .field {
    display: grid;
    gap: calc(var(--al-size-space) * 0.5);
  }
  label {
    font-weight: 500;
  }
  textarea {
    resize: vertical;
  }
  .check {
    display: flex;
    align-items: center;
    gap: calc(var(--al-size-space) * 0.5);
  }
  .check label,
  label.check {
    font-weight: 400;
    display: flex;
    align-items: center;
    gap: calc(var(--al-size-space) * 0.5);
  }
  .hint,
  .call-status,
  .empty {
    margin: 0;
    color: var(--al-color-muted);
  }
  .error {
    margin: 0;
    color: var(--al-color-danger);
  }
  [aria-invalid='true'] {
    border-color: var(--al-color-danger);
  }
  .hours {
    display: grid;
    gap: calc(var(--al-size-space) * 0.5);
  }
  .day {
    display: grid;
    grid-template-columns: minmax(8rem, 12rem) auto auto auto;
    justify-content: start;
    align-items: center;
    gap: var(--al-size-space);
  }
  .day .error {
    grid-column: 1 / -1;
  }
  input:disabled {
    opacity: 0.6;
  }
  .section > button {
    justify-self: start;
  }
  .capture-row {
    display: flex;
    flex-wrap: wrap;
    align-items: end;
    gap: var(--al-size-space);
    padding: var(--al-size-space);
    border-radius: var(--al-size-radius);
    background: var(--al-color-surface-raised);
  }
  .capture-row .field {
    flex: 1 1 9rem;
  }
  .capture-row .check {
    min-height: 2.25em;
  }
  .actions {
    display: flex;
    align-items: center;
    gap: var(--al-size-space);
  }
  .saved {
    margin: 0;
  }
  .transcript ol {
    display: grid;
    gap: calc(var(--al-size-space) * 0.5);
    margin: 0;
    padding: var(--al-size-space);
    list-style: none;
    border-radius: var(--al-size-radius);
    background: var(--al-color-surface-raised);
  }
  .transcript .speaker {
    font-weight: 600;
  }
  /* The agent's reply while it is still being spoken. */
  .transcript .open {
    color: var(--al-color-muted);
  }
  button:disabled {
    cursor: default;
    opacity: 0.6;
  }
`
