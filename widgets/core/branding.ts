import { css, html, nothing, type TemplateResult } from 'lit'
import type { Branding } from './branding-data.ts'
import type { GraphQLClient } from './graphql-client.ts'

export type { Branding }

const BRANDING_QUERY = `query WidgetBranding($id: ID!) { node(id: $id) { ... on Business { branding { productName colorBrand logoUrl } } } }`
// The api only hands out hex colours and https logos; checked again, as this ends up in CSS and src.
const HEX_COLOR = /^#[0-9a-fA-F]{3,8}$/

// One request per page for each api and business, however many elements show it. A failed
// request is forgotten, so the next element tries again.
const fetched = new Map<string, Promise<Branding | null>>()

export function loadBranding(client: GraphQLClient, apiBase: string, businessId: string): Promise<Branding | null> {
  const key = `${apiBase} ${businessId}`
  let branding = fetched.get(key)
  if (!branding) {
    branding = client
      .request<{ node: { branding?: Branding } | null }>(BRANDING_QUERY, { id: businessId })
      .then((data) => data.node?.branding ?? null)
      .catch(() => {
        fetched.delete(key)
        return null
      })
    fetched.set(key, branding)
  }
  return branding
}

/**
 * The agency's colour as the accent's default (`--al-org-brand`): a host that sets `--al-brand`
 * still wins. A constructed sheet, so it works under a CSP without 'unsafe-inline'.
 */
export function brandSheet(branding: Branding | null): CSSStyleSheet | null {
  if (!branding?.colorBrand || !HEX_COLOR.test(branding.colorBrand)) return null
  const sheet = new CSSStyleSheet()
  sheet.replaceSync(`:host { --al-org-brand: ${branding.colorBrand}; }`)
  return sheet
}

/** The product's name (and logo), small, at the foot of an element; `::part(brand)` hides or restyles it. */
export function renderBrand(branding: Branding | null): TemplateResult | typeof nothing {
  if (!branding) return nothing
  const logo = branding.logoUrl?.startsWith('https://') ? branding.logoUrl : null
  return html`<p part="brand" class="brand">${logo ? html`<img part="brand-logo" src=${logo} alt="" height="16" />` : nothing}<span>${branding.productName}</span></p>`
}

export const brandStyles = css`
  .brand {
    display: flex;
    align-items: center;
    justify-content: flex-end;
    gap: calc(var(--al-size-space) * 0.5);
    margin: var(--al-size-space) 0 0;
    color: var(--al-color-muted);
    font-size: 0.8em;
  }
  .brand img {
    height: 16px;
    width: auto;
  }
`
