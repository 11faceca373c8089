import { html, nothing, type PropertyValues } from 'lit'
import { AnswerlineElement } from '../core/answerline-element.ts'
import { styles } from './agent-settings.styles.ts'
import { idOf, selectField, textField, type FormContext } from './settings-fields.ts'
import { changedInput, formFromSettings, SETTINGS_QUERY, UPDATE_SETTINGS, VOICES, type AgentSettings, type SettingsForm } from './settings-form.ts'
import { captureFieldsSection, escalationSection, hoursSection, recordingSection } from './settings-sections.ts'
import { inputOfPath, validateForm, type FieldErrors } from './settings-validation.ts'
import { TestCallController } from './test-call.controller.ts'

type Business = { timeZone: string; retentionDays: number; agentSettings: AgentSettings | null }
type Payload = { updateAgentSettings: { agentSettings: AgentSettings | null; userErrors: Array<{ field: string[]; code: string; message: string }> } }

/**
 * Edits the business's agent: what it says, how it sounds, when the business is open, what it
 * asks callers, when it hands over, and recording. Only the changed fields are saved. A test call
 * lets the owner talk to the saved agent from the browser's microphone, and shows what each side
 * says as the call goes on.
 *
 * @attr media-base - Origin of the media worker for test calls (default: api-base, or this page).
 * @fires al-settings-saved - `{ version, fields }` after a save.
 * @fires al-test-call - `{ state }`: connecting, live, ended, refused, failed, mic-denied.
 * @cssproperty --settings-gap - Space between sections (default: 2 × --al-space).
 * @cssproperty --settings-max-width - Width of the form (default: 48rem).
 * @csspart base - The wrapper.
 * @csspart header - The title.
 * @csspart section - Each group of settings, and the test call.
 * @csspart field - Each labelled input, weekday and capture-field row.
 * @csspart error - An input's error, the form's error, and the load error.
 * @csspart empty-state - The note shown before the first save.
 * @csspart save - The save button.
 * @csspart saved - The save confirmation (a live region).
 * @csspart test-call - The button that starts and ends a test call.
 * @csspart test-call-transcript - The list of what was said in the current or last test call (the latest 50 lines).
 */
export class AgentSettingsElement extends AnswerlineElement {
  static override styles = [...AnswerlineElement.styles, styles]
  static override properties = {
    ...AnswerlineElement.properties,
    mediaBase: { type: String, attribute: 'media-base' },
    status: { state: true },
    failure: { state: true },
    form: { state: true },
    errors: { state: true },
    formError: { state: true },
    saving: { state: true },
    savedText: { state: true },
  }

  readonly #testCall = new TestCallController(
    this,
    () => ({ origin: this.mediaBase || this.apiBase || location.origin, token: async () => (this.tokenProvider ? await this.tokenProvider() : this.token), businessId: this.businessId }),
    (state) => this.emit('test-call', { state }),
  )

  declare mediaBase: string
  declare status: 'loading' | 'error' | 'ready'
  declare failure: string
  declare form: SettingsForm | null
  declare errors: FieldErrors
  declare formError: string
  declare saving: boolean
  declare savedText: string
  #saved: SettingsForm | null = null
  #business: { timeZone: string; retentionDays: number } = { timeZone: 'UTC', retentionDays: 365 }

  constructor() {
    super()
    this.mediaBase = ''
    this.status = 'loading'
    this.failure = ''
    this.form = null
    this.errors = {}
    this.formError = ''
    this.saving = false
    this.savedText = ''
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed)
    const credential = changed.has('token') || changed.has('tokenProvider')
    if (this.businessId && (changed.has('businessId') || (credential && this.status !== 'ready'))) void this.#load()
  }

  async #load(): Promise<void> {
    const id = this.businessId
    this.status = 'loading'
    try {
      const data = await this.client.request<{ node: Business | null }>(SETTINGS_QUERY, { id })
      if (id !== this.businessId) return
      if (!data.node) throw new Error(this.t('settings.notFound'))
      this.#business = { timeZone: data.node.timeZone, retentionDays: data.node.retentionDays }
      this.#show(data.node.agentSettings)
      this.status = 'ready'
    } catch (error) {
      if (id !== this.businessId) return
      this.failure = (error as Error).message
      this.status = 'error'
    }
  }

  #show(settings: AgentSettings | null): void {
    this.#saved = settings && formFromSettings(settings, this.#business)
    this.form = formFromSettings(settings, this.#business)
    this.errors = {}
    this.formError = ''
    this.savedText = ''
  }

  #set = (patch: Partial<SettingsForm>, input: string): void => {
    this.form = { ...(this.form as SettingsForm), ...patch }
    this.errors = Object.fromEntries(Object.entries(this.errors).filter(([key]) => key !== input && !key.startsWith(`${input}.`)))
    this.savedText = ''
  }

  #focus = (input: string): void => void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#${CSS.escape(idOf(input))}`)?.focus())

  async #showErrors(errors: FieldErrors, general = ''): Promise<void> {
    this.errors = errors
    this.formError = general || this.t('settings.fixErrors', { count: Object.keys(errors).length })
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }

  async #save(event: SubmitEvent): Promise<void> {
    event.preventDefault()
    if (!this.form || this.saving) return
    this.formError = ''
    this.savedText = ''
    const invalid = validateForm(this.form)
    if (Object.keys(invalid).length) return this.#showErrors(invalid)
    const input = changedInput(this.form, this.#saved)
    if (!Object.keys(input).length) {
      this.savedText = this.t('settings.noChanges')
      return
    }
    this.saving = true
    try {
      const { updateAgentSettings: result } = await this.client.request<Payload>(UPDATE_SETTINGS, { input: { businessId: this.businessId, ...input } })
      if (result.userErrors.length) {
        const errors: FieldErrors = {}
        const general: string[] = []
        for (const problem of result.userErrors) {
          const at = inputOfPath(problem.field)
          if (at) errors[at] ??= { text: problem.message }
          else general.push(problem.message)
        }
        return this.#showErrors(errors, general.join(' '))
      }
      if (!result.agentSettings) return
      this.#show(result.agentSettings)
      this.savedText = this.t('settings.savedVersion', { version: result.agentSettings.version })
      this.emit('settings-saved', { version: result.agentSettings.version, fields: Object.keys(input) })
    } catch (error) {
      this.formError = this.t('common.error', { message: (error as Error).message })
    } finally {
      this.saving = false
    }
  }

  override render() {
    const title = html`<h2 part="header">${this.t('settings.title')}</h2>`
    if (this.status === 'loading' || !this.form) {
      if (this.status === 'error') return html`<div part="base" class="base">${title}<div part="error" class="error" role="alert">${this.t('common.error', { message: this.failure })} <button type="button" @click=${this.#load}>${this.t('common.retry')}</button></div></div>`
      return html`<div part="base" class="base" aria-busy="true">${title}<p role="status">${this.t('common.loading')}</p></div>`
    }
    const ctx: FormContext = { form: this.form, errors: this.errors, locale: this.locale, t: (key, params) => this.t(key, params), set: this.#set, focus: this.#focus }
    return html`<div part="base" class="base">
      ${title}
      ${this.#saved ? nothing : html`<p part="empty-state" class="empty">${this.t('settings.empty')}</p>`}
      <form novalidate @submit=${this.#save}>
        <fieldset part="section" class="section">
          <legend>${this.t('settings.greetingTitle')}</legend>
          ${textField(ctx, 'greeting', 'settings.greeting', { rows: 2, maxlength: 1000, required: true })}
          ${textField(ctx, 'disclosureText', 'settings.disclosure', { rows: 2, maxlength: 1000, required: true, hint: 'settings.disclosureHint' })}
          ${textField(ctx, 'consentPrompt', 'settings.consent', { rows: 2, maxlength: 1000, required: true })}
          ${selectField(ctx, 'voice', 'settings.voice', VOICES)}
        </fieldset>
        <fieldset part="section" class="section">
          <legend>${this.t('settings.behaviour')}</legend>
          ${textField(ctx, 'systemPrompt', 'settings.prompt', { rows: 6, maxlength: 20_000 })}
          ${textField(ctx, 'knowledge', 'settings.knowledge', { rows: 6, maxlength: 100_000 })}
        </fieldset>
        ${hoursSection(ctx)} ${captureFieldsSection(ctx)} ${escalationSection(ctx)} ${recordingSection(ctx)}
        <div class="actions">
          <button part="save" type="submit" class="primary" ?disabled=${this.saving}>${this.t(this.saving ? 'common.saving' : 'common.save')}</button>
          <p part="saved" class="saved" role="status" aria-live="polite">${this.savedText}</p>
        </div>
        ${this.formError ? html`<p part="error" class="error" role="alert">${this.formError}</p>` : nothing}
      </form>
      ${this.#testCall.render((key) => this.t(key), this.#saved !== null)}
      ${this.renderBrand()}
    </div>`
  }
}
