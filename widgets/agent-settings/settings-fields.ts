import { html, nothing, type TemplateResult } from 'lit'
import type { MessageKey } from '../core/messages.ts'
import type { SettingsForm } from './settings-form.ts'
import type { FieldErrors } from './settings-validation.ts'

/** What the section templates need from the element. */
export interface FormContext {
  form: SettingsForm
  errors: FieldErrors
  locale: string
  t: (key: MessageKey, params?: Record<string, string | number>) => string
  /** Applies a change and clears the errors of the input it came from (and of inputs under it). */
  set: (patch: Partial<SettingsForm>, input: string) => void
  /** Moves focus to an input once the next render is done. */
  focus: (input: string) => void
}

/** Ids of inputs in the shadow root: input paths hold dots, which ids allow. */
export const idOf = (input: string) => `in-${input}`

/** The text of an input's error, if it has one. */
export function errorText(ctx: FormContext, input: string): string | null {
  const error = ctx.errors[input]
  if (!error) return null
  return 'text' in error ? error.text : ctx.t(error.key, error.params)
}

/** The attributes that tie an input to its error message. */
export const invalid = (ctx: FormContext, input: string) => (ctx.errors[input] ? 'true' : 'false')
export const describedBy = (ctx: FormContext, input: string, hint = false) => [hint && `${idOf(input)}-hint`, ctx.errors[input] && `${idOf(input)}-error`].filter(Boolean).join(' ') || nothing

export function renderError(ctx: FormContext, input: string): TemplateResult | typeof nothing {
  const text = errorText(ctx, input)
  return text ? html`<p part="error" class="error" id="${idOf(input)}-error">${text}</p>` : nothing
}

type TextName = 'greeting' | 'disclosureText' | 'consentPrompt' | 'systemPrompt' | 'knowledge' | 'forwardingNumber' | 'retentionDays' | 'keywords' | 'vipNumbers'

interface TextOptions {
  rows?: number
  maxlength?: number
  required?: boolean
  type?: 'text' | 'tel' | 'number'
  hint?: MessageKey
  /** The input's id when it is not the field's name (escalationRules.keywords). */
  input?: string
}

/** A labelled text input or textarea bound to one form field, with its hint and error. */
export function textField(ctx: FormContext, name: TextName, label: MessageKey, options: TextOptions = {}): TemplateResult {
  const input = options.input ?? name
  const id = idOf(input)
  const onInput = (event: Event) => ctx.set({ [name]: (event.target as HTMLInputElement).value }, input)
  const control = options.rows
    ? html`<textarea id=${id} rows=${options.rows} maxlength=${options.maxlength ?? nothing} ?required=${!!options.required} aria-invalid=${invalid(ctx, input)} aria-describedby=${describedBy(ctx, input, !!options.hint)} .value=${ctx.form[name]} @input=${onInput}></textarea>`
    : html`<input id=${id} type=${options.type ?? 'text'} maxlength=${options.maxlength ?? nothing} ?required=${!!options.required} aria-invalid=${invalid(ctx, input)} aria-describedby=${describedBy(ctx, input, !!options.hint)} .value=${ctx.form[name]} @input=${onInput} />`
  return html`<div part="field" class="field">
    <label for=${id}>${ctx.t(label)}${options.required ? html`<span aria-hidden="true"> *</span>` : nothing}</label>
    ${control}
    ${options.hint ? html`<p class="hint" id="${id}-hint">${ctx.t(options.hint)}</p>` : nothing}
    ${renderError(ctx, input)}
  </div>`
}

/** A labelled select of fixed values, keeping the current value even if it is not one of them. */
export function selectField(ctx: FormContext, name: 'voice' | 'timeZone', label: MessageKey, values: readonly string[]): TemplateResult {
  const id = idOf(name)
  const current = ctx.form[name]
  const all = values.includes(current) ? values : [current, ...values]
  return html`<div part="field" class="field">
    <label for=${id}>${ctx.t(label)}</label>
    <select id=${id} aria-invalid=${invalid(ctx, name)} aria-describedby=${describedBy(ctx, name)} @change=${(event: Event) => ctx.set({ [name]: (event.target as HTMLSelectElement).value }, name)}>
      ${all.map((value) => html`<option value=${value} ?selected=${value === current}>${value}</option>`)}
    </select>
    ${renderError(ctx, name)}
  </div>`
}

/** A checkbox bound to a boolean form field. */
export function checkField(ctx: FormContext, name: 'askForHuman' | 'recordingEnabled', input: string, label: MessageKey): TemplateResult {
  return html`<div part="field" class="field check">
    <label><input type="checkbox" id=${idOf(input)} aria-invalid=${invalid(ctx, input)} aria-describedby=${describedBy(ctx, input)} .checked=${ctx.form[name]} @change=${(event: Event) => ctx.set({ [name]: (event.target as HTMLInputElement).checked }, input)} /> ${ctx.t(label)}</label>
    ${renderError(ctx, input)}
  </div>`
}
