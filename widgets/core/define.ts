/**
 * Registers an element under the page's prefix: `answerline-` by default, or the one the host
 * chose (`<script src=".../answerline.js" data-prefix="acme-">`, or `window.AnswerlineWidgets =
 * { prefix: 'acme-' }` set before the script), so an agency can ship `acme-call-log`. Loading the
 * bundle twice is harmless: a tag already registered is left alone.
 */
export const DEFAULT_PREFIX = 'answerline-'

interface WidgetGlobals {
  prefix?: string
  messages?: Record<string, Record<string, string>>
}

declare global {
  interface Window {
    AnswerlineWidgets?: WidgetGlobals
  }
}

function chosenPrefix(): string {
  // Module scripts have no document.currentScript: find our script tag by its data-prefix.
  const script = document.querySelector<HTMLScriptElement>('script[data-prefix][src*="/widgets/"]')
  const fromScript = script?.dataset.prefix
  const fromGlobal = window.AnswerlineWidgets?.prefix
  const prefix = (fromScript ?? fromGlobal ?? DEFAULT_PREFIX).toLowerCase()
  // A custom element name needs a dash and must start with a letter.
  return /^[a-z][a-z0-9]*-([a-z0-9]+-)*$/.test(prefix) ? prefix : DEFAULT_PREFIX
}

/** The prefix of this page, read once, as the bundle first runs. */
export const prefix = chosenPrefix()

export function defineElement(name: string, element: CustomElementConstructor): string {
  const tag = `${prefix}${name}`
  // The same class cannot be registered twice, so each tag gets its own subclass.
  if (!customElements.get(tag)) customElements.define(tag, class extends (element as unknown as typeof HTMLElement) {} as CustomElementConstructor)
  return tag
}

/** The tag of one of our elements, under this page's prefix. */
export const tagOf = (name: string) => `${prefix}${name}`
