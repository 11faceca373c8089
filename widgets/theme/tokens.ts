import { css } from 'lit'

/**
 * The theme: every colour, font, radius and spacing the elements use, with neutral defaults. A
 * host (or an agency's theme) sets the public knobs on the element or on any ancestor:
 * `.crm-sidebar { --al-brand: #0f766e; --al-radius: 2px }`. Dark theme colours come from the
 * `--al-dark-*` knobs, so one stylesheet can brand both.
 *
 * @cssproperty --al-brand - Accent: buttons, links, focus rings. (`--al-dark-brand` in dark theme) Without
 *   it, a white-labelled agency's own colour (its branding in Answerline) is the default.
 * @cssproperty --al-brand-contrast - Text on the accent. (`--al-dark-brand-contrast`)
 * @cssproperty --al-surface - Background. (`--al-dark-surface`)
 * @cssproperty --al-surface-raised - Rows, cards. (`--al-dark-surface-raised`)
 * @cssproperty --al-text - Body text. (`--al-dark-text`)
 * @cssproperty --al-muted - Secondary text. (`--al-dark-muted`)
 * @cssproperty --al-border - Lines. (`--al-dark-border`)
 * @cssproperty --al-danger - Errors. (`--al-dark-danger`)
 * @cssproperty --al-font-family - Font stack.
 * @cssproperty --al-font-size - Base size.
 * @cssproperty --al-radius - Corner radius.
 * @cssproperty --al-space - Base spacing unit.
 *
 * Inside, elements read the resolved tokens (`--al-color-*`, `--al-size-*`, `--al-type-family`);
 * they are declared on `:host`, which is why hosts set the knobs above rather than these.
 */
export const tokens = css`
  :host {
    display: block;
    --al-color-brand: var(--al-brand, var(--al-org-brand, #3b5bdb));
    --al-color-brand-contrast: var(--al-brand-contrast, #ffffff);
    --al-color-surface: var(--al-surface, #ffffff);
    --al-color-surface-raised: var(--al-surface-raised, #f6f7f9);
    --al-color-text: var(--al-text, #1d2330);
    --al-color-muted: var(--al-muted, #596173);
    --al-color-border: var(--al-border, #d5d9e0);
    --al-color-danger: var(--al-danger, #b42318);
    --al-type-family: var(--al-font-family, system-ui, -apple-system, 'Segoe UI', sans-serif);
    --al-size-font: var(--al-font-size, 14px);
    --al-size-radius: var(--al-radius, 6px);
    --al-size-space: var(--al-space, 8px);
  }
  :host([theme='dark']) {
    --al-color-brand: var(--al-dark-brand, #8ea2ff);
    --al-color-brand-contrast: var(--al-dark-brand-contrast, #10131a);
    --al-color-surface: var(--al-dark-surface, #171a21);
    --al-color-surface-raised: var(--al-dark-surface-raised, #20242d);
    --al-color-text: var(--al-dark-text, #eef0f4);
    --al-color-muted: var(--al-dark-muted, #a9b0bd);
    --al-color-border: var(--al-dark-border, #363c48);
    --al-color-danger: var(--al-dark-danger, #ff8a80);
  }
  [part~='base'] {
    font-family: var(--al-type-family);
    font-size: var(--al-size-font);
    color: var(--al-color-text);
    background: var(--al-color-surface);
    border-radius: var(--al-size-radius);
  }
  button {
    font: inherit;
    border-radius: var(--al-size-radius);
    border: 1px solid var(--al-color-border);
    background: var(--al-color-surface-raised);
    color: var(--al-color-text);
    padding: calc(var(--al-size-space) * 0.5) var(--al-size-space);
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
    border-radius: var(--al-size-radius);
    padding: calc(var(--al-size-space) * 0.5);
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
