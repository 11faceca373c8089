import { css } from 'lit'

/**
 * The global tokens every element reads, with neutral defaults. A host (or an agency's theme)
 * reassigns them on the element or any ancestor: `answerline-call-log { --al-color-brand: #0f766e }`.
 *
 * @cssproperty --al-color-brand - Accent: buttons, links, focus rings.
 * @cssproperty --al-color-brand-contrast - Text on the accent.
 * @cssproperty --al-color-surface - Background.
 * @cssproperty --al-color-surface-raised - Rows, cards.
 * @cssproperty --al-color-text - Body text.
 * @cssproperty --al-color-muted - Secondary text.
 * @cssproperty --al-color-border - Lines.
 * @cssproperty --al-color-danger - Errors.
 * @cssproperty --al-font-family - Font stack.
 * @cssproperty --al-font-size - Base size.
 * @cssproperty --al-radius - Corner radius.
 * @cssproperty --al-space - Base spacing unit.
 */
export const tokens = css`
  :host {
    display: block;
    --al-color-brand: var(--al-brand, #3b5bdb);
    --al-color-brand-contrast: #ffffff;
    --al-color-surface: #ffffff;
    --al-color-surface-raised: #f6f7f9;
    --al-color-text: #1d2330;
    --al-color-muted: #596173;
    --al-color-border: #d5d9e0;
    --al-color-danger: #b42318;
    --al-font-family: system-ui, -apple-system, 'Segoe UI', sans-serif;
    --al-font-size: 14px;
    --al-radius: 6px;
    --al-space: 8px;
  }
  :host([theme='dark']) {
    --al-color-surface: #171a21;
    --al-color-surface-raised: #20242d;
    --al-color-text: #eef0f4;
    --al-color-muted: #a9b0bd;
    --al-color-border: #363c48;
    --al-color-danger: #ff8a80;
    --al-color-brand: var(--al-brand, #8ea2ff);
    --al-color-brand-contrast: #10131a;
  }
  [part~='base'] {
    font-family: var(--al-font-family);
    font-size: var(--al-font-size);
    color: var(--al-color-text);
    background: var(--al-color-surface);
    border-radius: var(--al-radius);
  }
  button {
    font: inherit;
    border-radius: var(--al-radius);
    border: 1px solid var(--al-color-border);
    background: var(--al-color-surface-raised);
    color: var(--al-color-text);
    padding: calc(var(--al-space) * 0.5) var(--al-space);
    cursor: pointer;
  }
  button.primary {
    background: var(--al-color-brand);
    color: var(--al-color-brand-contrast);
    border-color: var(--al-color-brand);
  }
  :focus-visible {
    outline: 2px solid var(--al-color-brand);
    outline-offset: 2px;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: var(--al-color-text);
    background: var(--al-color-surface);
    border: 1px solid var(--al-color-border);
    border-radius: var(--al-radius);
    padding: calc(var(--al-space) * 0.5);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`
