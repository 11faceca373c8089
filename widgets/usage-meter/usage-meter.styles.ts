import { css } from 'lit'

// Knobs are read with their defaults as fallbacks, never declared on an inner element, where they
// would shadow the value a host sets on the element.
export const usageMeterStyles = css`
  .base {
    padding: var(--al-size-space);
  }
  .title {
    font-size: 1.15em;
    margin: 0 0 var(--al-size-space);
  }
  p {
    margin: calc(var(--al-size-space) * 0.5) 0;
  }
  .muted {
    color: var(--al-color-muted);
  }
  .plan {
    display: flex;
    flex-wrap: wrap;
    gap: 0 var(--al-size-space);
  }
  .status,
  .out,
  [part~='error'] {
    color: var(--al-color-danger);
  }
  [part~='label'] {
    display: block;
    font-weight: 600;
  }
  meter {
    display: block;
    width: 100%;
    height: var(--usage-meter-height, calc(var(--al-size-space) * 1.5));
    margin: calc(var(--al-size-space) * 0.5) 0;
    appearance: none;
    background: var(--al-color-surface-raised);
    border: 1px solid var(--al-color-border);
    border-radius: var(--al-size-radius);
    overflow: hidden;
  }
  meter::-webkit-meter-bar {
    background: var(--al-color-surface-raised);
    border: 0;
    border-radius: var(--al-size-radius);
    height: 100%;
  }
  meter::-webkit-meter-optimum-value,
  meter::-webkit-meter-suboptimum-value {
    background: var(--usage-meter-fill, var(--al-color-brand));
  }
  meter::-webkit-meter-even-less-good-value {
    background: var(--usage-meter-fill-high, var(--al-color-danger));
  }
  meter::-moz-meter-bar {
    background: var(--usage-meter-fill, var(--al-color-brand));
  }
  meter:-moz-meter-sub-sub-optimum::-moz-meter-bar {
    background: var(--usage-meter-fill-high, var(--al-color-danger));
  }
  [part~='buy'] {
    margin-top: var(--al-size-space);
  }
`
