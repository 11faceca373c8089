import { html, nothing, type TemplateResult } from 'lit'
import type { MessageKey } from '../core/messages.ts'
import { DAYS, FIELD_TYPES, type DayHours, type FieldRow } from './settings-form.ts'
import { checkField, describedBy, idOf, invalid, renderError, selectField, textField, type FormContext } from './settings-fields.ts'

let zones: string[] | null = null
/** The browser's IANA zones, read once (about 400). */
const timeZones = () => (zones ??= Intl.supportedValuesOf('timeZone'))

/** Weekday names in the element's language, Monday first (1 January 2024 was a Monday). */
function weekdayNames(locale: string): string[] {
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' })
  } catch {
    format = new Intl.DateTimeFormat('en', { weekday: 'long', timeZone: 'UTC' })
  }
  return DAYS.map((_, i) => format.format(new Date(Date.UTC(2024, 0, 1 + i))))
}

export function hoursSection(ctx: FormContext): TemplateResult {
  const names = weekdayNames(ctx.locale)
  return html`<fieldset part="section" class="section">
    <legend>${ctx.t('settings.hours')}</legend>
    <p class="hint">${ctx.t('settings.hoursHint')}</p>
    ${selectField(ctx, 'timeZone', 'settings.timeZone', timeZones())}
    <div class="hours">
      ${DAYS.map((day, i) => {
        const hours = ctx.form.hours[day]
        const input = `hours.${day}`
        const dayName = names[i] ?? day
        const update = (patch: Partial<DayHours>) => ctx.set({ hours: { ...ctx.form.hours, [day]: { ...hours, ...patch } } }, input)
        const time = (edge: 'from' | 'to', label: MessageKey) => html`<label class="visually-hidden" for="${idOf(input)}-${edge}">${ctx.t(label, { day: dayName })}</label>
          <input type="time" id="${idOf(input)}-${edge}" ?disabled=${!hours.open} aria-invalid=${invalid(ctx, input)} aria-describedby=${describedBy(ctx, input)} .value=${hours[edge]} @input=${(event: Event) => update({ [edge]: (event.target as HTMLInputElement).value })} />`
        return html`<div class="day" part="field">
          <label class="check"><input type="checkbox" id=${idOf(input)} .checked=${hours.open} @change=${(event: Event) => update({ open: (event.target as HTMLInputElement).checked })} /> ${dayName}</label>
          ${time('from', 'settings.opens')}<span aria-hidden="true">–</span>${time('to', 'settings.closes')}
          ${renderError(ctx, input)}
        </div>`
      })}
    </div>
  </fieldset>`
}

const MAX_LENGTH = { key: 40, label: 100, options: 2000 }
const BLANK_FIELD: FieldRow = { key: '', label: '', type: 'TEXT', required: false, options: '' }

export function captureFieldsSection(ctx: FormContext): TemplateResult {
  const rows = ctx.form.captureFields
  const change = (i: number, patch: Partial<FieldRow>, input: string) => ctx.set({ captureFields: rows.map((row, j) => (j === i ? { ...row, ...patch } : row)) }, input)
  const add = () => {
    ctx.set({ captureFields: [...rows, { ...BLANK_FIELD }] }, 'captureFields')
    ctx.focus(`captureFields.${rows.length}.key`)
  }
  // Removing shifts the rows below, so every row's errors go (they come back on the next save).
  const remove = (i: number) => {
    ctx.set({ captureFields: rows.filter((_, j) => j !== i) }, 'captureFields')
    ctx.focus('captureFields.add')
  }
  const text = (i: number, name: 'key' | 'label' | 'options', label: MessageKey, hint?: MessageKey) => {
    const input = `captureFields.${i}.${name}`
    return html`<div class="field">
      <label for=${idOf(input)}>${ctx.t(label)}</label>
      <input id=${idOf(input)} maxlength=${MAX_LENGTH[name]} aria-invalid=${invalid(ctx, input)} aria-describedby=${describedBy(ctx, input, !!hint)} .value=${rows[i]?.[name] ?? ''} @input=${(event: Event) => change(i, { [name]: (event.target as HTMLInputElement).value }, input)} />
      ${hint ? html`<p class="hint" id="${idOf(input)}-hint">${ctx.t(hint)}</p>` : nothing}
      ${renderError(ctx, input)}
    </div>`
  }
  return html`<fieldset part="section" class="section">
    <legend>${ctx.t('settings.fields')}</legend>
    <p class="hint">${ctx.t('settings.fieldsHint')}</p>
    ${renderError(ctx, 'captureFields')}
    ${rows.map(
      (row, i) => html`<div class="capture-row" part="field" role="group" aria-label=${ctx.t('settings.fieldRow', { n: i + 1 })}>
        ${text(i, 'key', 'settings.fieldKey')} ${text(i, 'label', 'settings.fieldLabel')}
        <div class="field">
          <label for=${idOf(`captureFields.${i}.type`)}>${ctx.t('settings.fieldType')}</label>
          <select id=${idOf(`captureFields.${i}.type`)} @change=${(event: Event) => change(i, { type: (event.target as HTMLSelectElement).value }, `captureFields.${i}.options`)}>
            ${FIELD_TYPES.map((type) => html`<option value=${type} ?selected=${type === row.type}>${ctx.t(`settings.type${type}` as MessageKey)}</option>`)}
          </select>
        </div>
        ${row.type === 'CHOICE' ? text(i, 'options', 'settings.fieldOptions', 'settings.commaHint') : nothing}
        <label class="check"><input type="checkbox" .checked=${row.required} @change=${(event: Event) => change(i, { required: (event.target as HTMLInputElement).checked }, `captureFields.${i}.key`)} /> ${ctx.t('settings.fieldRequired')}</label>
        <button type="button" class="remove" @click=${() => remove(i)}>${ctx.t('settings.removeField', { n: i + 1 })}</button>
      </div>`,
    )}
    <button type="button" id=${idOf('captureFields.add')} ?disabled=${rows.length >= 20} @click=${add}>${ctx.t('settings.addField')}</button>
  </fieldset>`
}

export function escalationSection(ctx: FormContext): TemplateResult {
  return html`<fieldset part="section" class="section">
    <legend>${ctx.t('settings.escalation')}</legend>
    ${checkField(ctx, 'askForHuman', 'escalationRules.askForHuman', 'settings.askForHuman')}
    ${textField(ctx, 'keywords', 'settings.keywords', { input: 'escalationRules.keywords', hint: 'settings.commaHint', maxlength: 2000 })}
    ${textField(ctx, 'vipNumbers', 'settings.vipNumbers', { input: 'escalationRules.vipNumbers', hint: 'settings.vipHint', maxlength: 2000 })}
    ${textField(ctx, 'forwardingNumber', 'settings.forwarding', { type: 'tel', hint: 'settings.e164Hint', maxlength: 16 })}
  </fieldset>`
}

export function recordingSection(ctx: FormContext): TemplateResult {
  return html`<fieldset part="section" class="section">
    <legend>${ctx.t('settings.recordingTitle')}</legend>
    ${checkField(ctx, 'recordingEnabled', 'recordingEnabled', 'settings.recording')}
    ${textField(ctx, 'retentionDays', 'settings.retention', { type: 'number' })}
  </fieldset>`
}
