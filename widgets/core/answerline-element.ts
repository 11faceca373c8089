import { LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit'
import { brandSheet, brandStyles, loadBranding, renderBrand, type Branding } from './branding.ts'
import { DateFormatter } from './format.ts'
import { GraphQLClient, type TokenProvider } from './graphql-client.ts'
import { translate, type MessageKey } from './messages.ts'
import { tokens } from '../theme/tokens.ts'

/**
 * What every Answerline element shares: which business it shows, how it authenticates (an embed
 * token attribute, or a `tokenProvider` callback the host implements), where the api is, the
 * locale and message overrides, and the theme tokens.
 *
 * @attr business-id - Global id of the business to show.
 * @attr token - An embed token minted by the host's server.
 * @attr api-base - The api's origin when it is not the page's own.
 * @attr locale - `en` or `es` (default: the page's language).
 * @attr theme - `light` (default) or `dark`.
 * @csspart brand - The product's name at the foot of the element: the white-label agency's, or Answerline's.
 * @csspart brand-logo - The agency's logo beside it, when it has one.
 */
export class AnswerlineElement extends LitElement {
  static override styles = [tokens, brandStyles]
  static override properties = {
    businessId: { type: String, attribute: 'business-id' },
    token: { type: String },
    apiBase: { type: String, attribute: 'api-base' },
    locale: { type: String },
    theme: { type: String, reflect: true },
    tokenProvider: { attribute: false },
    messages: { attribute: false },
    branding: { state: true },
  }

  declare businessId: string
  declare token: string | null
  declare apiBase: string
  declare locale: string
  declare theme: 'light' | 'dark'
  declare tokenProvider: TokenProvider | null
  /** Overrides for any message of the catalog, by key. */
  declare messages: Partial<Record<MessageKey, string>>
  /** The business's branding once known: its agency's when white-labelled. */
  declare protected branding: Branding | null
  #client: GraphQLClient | null = null
  #brandSheet: CSSStyleSheet | null = null

  constructor() {
    super()
    this.businessId = ''
    this.token = null
    this.apiBase = ''
    this.locale = document.documentElement.lang || navigator.language || 'en'
    this.theme = 'light'
    this.tokenProvider = null
    this.messages = {}
    this.branding = null
  }

  /** The client, rebuilt when the credential or api changes. */
  protected get client(): GraphQLClient {
    this.#client ??= new GraphQLClient({ apiBase: this.apiBase, token: this.token, tokenProvider: this.tokenProvider })
    return this.#client
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('token') || changed.has('apiBase') || changed.has('tokenProvider')) {
      this.#client?.dispose()
      this.#client = null
    }
  }

  /** Set by an element whose own first query asks for `branding`; it passes it to useBranding(). */
  static brandingFromQuery = false

  protected override updated(changed: PropertyValues<this>): void {
    // After the element's own first request has gone out, so the two do not compete.
    if ((this.constructor as typeof AnswerlineElement).brandingFromQuery) return
    if (changed.has('businessId') || changed.has('token') || changed.has('apiBase') || changed.has('tokenProvider')) void this.#loadBranding()
  }

  async #loadBranding(): Promise<void> {
    const businessId = this.businessId
    const branding = businessId ? await loadBranding(this.client, this.apiBase, businessId) : null
    if (businessId === this.businessId) this.useBranding(branding)
  }

  /** Shows the business's branding: the brand line, and its colour as the accent's default. */
  protected useBranding(branding: Branding | null): void {
    if (!this.shadowRoot) return
    this.branding = branding
    const sheets = this.shadowRoot.adoptedStyleSheets.filter((sheet) => sheet !== this.#brandSheet)
    this.#brandSheet = brandSheet(branding)
    this.shadowRoot.adoptedStyleSheets = this.#brandSheet ? [...sheets, this.#brandSheet] : sheets
  }

  /** The brand line at the foot of the element (see branding.ts). */
  protected renderBrand(): TemplateResult | typeof nothing {
    return renderBrand(this.branding)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#client?.dispose()
    this.#client = null
  }

  protected t(key: MessageKey, params: Record<string, string | number> = {}): string {
    return translate(this.locale, key, params, this.messages as Record<string, string>)
  }

  /** Dates in the element's language (its catalog's patterns) and the viewer's time zone. */
  protected get dates(): DateFormatter {
    return new DateFormatter((key, params) => this.t(key, params))
  }

  /** Tells the host about something (`al-` prefixed, bubbling out of shadow roots). */
  protected emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(`al-${name}`, { detail, bubbles: true, composed: true }))
  }
}
