/** Who the email appears to come from. An agency's white-label branding replaces ours entirely. */
export interface Branding {
  productName: string
  /** A hex colour such as #2563eb; anything else is ignored. */
  colorBrand?: string
  /** An https:// image URL; anything else is ignored. */
  logoUrl?: string
  supportEmail?: string
}

export const DEFAULT_BRANDING: Branding = Object.freeze({ productName: 'Answerline', colorBrand: '#2563eb' })

export type SecurityEvent = 'refresh_token_reuse' | 'password_changed' | 'password_reset' | 'new_sign_in' | 'email_changed'

/** Every email we send, one variant per kind. */
export type EmailTemplate =
  | { kind: 'verify_email'; code: string; expiresInMinutes: number }
  | { kind: 'reset_password'; code: string; expiresInMinutes: number }
  | { kind: 'confirm_email_change'; code: string; expiresInMinutes: number }
  | { kind: 'invitation'; organizationName: string; inviterName: string; role: string; acceptUrl: string; expiresInDays: number }
  | { kind: 'security_alert'; event: SecurityEvent; occurredAt: Date; ipAddress?: string; userAgent?: string }
  | { kind: 'low_balance'; minutesLeft: number; accountName: string; outOfMinutesBehavior: 'refuse' | 'forward' | 'take_message' }
  | { kind: 'webhook_disabled'; connectorName: string; businessName: string; url: string; failingSinceDays: number; lastError: string }
  | { kind: 'payment_failed'; accountName: string; amount: string; attempt: number; callsStopOn: Date | null }
  | { kind: 'welcome' }
  | { kind: 'out_of_minutes'; accountName: string; outOfMinutesBehavior: 'refuse' | 'forward' | 'take_message' }
  | { kind: 'topup_receipt'; accountName: string; minutes: number; amount: string; automatic: boolean }
  | { kind: 'auto_topup_failed'; accountName: string; minutes: number; reason: string }
  | { kind: 'plan_changed'; accountName: string; from: string; to: string; includedMinutes: number }
  | { kind: 'organization_closed'; organizationName: string; closedAt: Date; purgeAfter: Date }
  | { kind: 'data_export_ready'; subject: 'caller' | 'account'; expiresAt: Date }
  | { kind: 'caller_erased'; businessName: string; leftInConnectors: number }
  | { kind: 'policy_update'; policy: 'terms' | 'privacy' | 'dpa'; version: string; summary: string; url: string; effectiveAt: Date }

export interface RenderedEmail {
  subject: string
  text: string
  html: string
}

/** What a template says, before it becomes text or HTML; both parts come from this, so they cannot drift. */
interface Content {
  subject: string
  intro: string[]
  /** Short labelled lines, kept together as one block. */
  facts?: string[]
  code?: string
  action?: { label: string; url: string }
  outro: string[]
}

// Branding comes from agency settings, so anything that reaches markup outside text nodes is whitelisted.
const HEX_COLOR = /^#[0-9a-fA-F]{3,8}$/
// Used when an agency sets no valid colour: neutral, so it carries none of our brand.
const NEUTRAL_COLOR = '#111827'
// User agents are attacker-chosen and can be kilobytes long; the alert only needs enough to recognise a device.
const MAX_USER_AGENT_CHARS = 160

/** Renders one email as subject, plain text and HTML, with every interpolated value escaped in the HTML. */
export function renderEmail(template: EmailTemplate, branding: Branding = DEFAULT_BRANDING): RenderedEmail {
  const content = describeEmail(template, branding)
  // Names go into the subject too; a newline there would only garble the inbox line.
  const subject = content.subject.replace(/\s+/g, ' ').trim()
  return { subject, text: renderText(content, branding), html: renderHtml({ ...content, subject }, branding) }
}

function describeEmail(template: EmailTemplate, branding: Branding): Content {
  const product = branding.productName
  switch (template.kind) {
    case 'verify_email':
      return {
        subject: `Confirm your email for ${product}`,
        intro: [`Welcome to ${product}! Enter this code to confirm your email address:`],
        code: template.code,
        outro: [`The code expires in ${plural(template.expiresInMinutes, 'minute')}. If you didn't sign up, you can ignore this email.`],
      }
    case 'reset_password':
      return {
        subject: `Reset your ${product} password`,
        intro: [`We got a request to reset your ${product} password. Enter this code to choose a new one:`],
        code: template.code,
        outro: [
          `The code expires in ${plural(template.expiresInMinutes, 'minute')}. If you didn't ask for this, ignore this email and your password stays the same.`,
        ],
      }
    case 'confirm_email_change':
      return {
        subject: `Confirm your new email for ${product}`,
        intro: [`Someone asked to use this address for their ${product} account. Enter this code to confirm the change:`],
        code: template.code,
        outro: [`The code expires in ${plural(template.expiresInMinutes, 'minute')}. If you didn't ask for this, ignore this email; nothing changes.`],
      }
    case 'invitation':
      return {
        subject: `${template.inviterName} invited you to ${template.organizationName} on ${product}`,
        intro: [`${template.inviterName} invited you to join ${template.organizationName} on ${product} as ${template.role}.`],
        action: { label: 'Accept the invitation', url: requireWebUrl(template.acceptUrl) },
        outro: [`The invitation expires in ${plural(template.expiresInDays, 'day')}. If you weren't expecting it, you can ignore this email.`],
      }
    case 'security_alert':
      return describeSecurityAlert(template, branding)
    case 'webhook_disabled':
      return {
        subject: `Webhook "${template.connectorName}" for ${template.businessName} was turned off`,
        intro: [
          `Deliveries to ${template.url} have failed for ${plural(template.failingSinceDays, 'day')} without a single success, so we stopped sending to it.`,
          `The last error was: ${template.lastError}`,
        ],
        outro: ['Fix the endpoint, then turn the webhook back on and replay the failed deliveries from the delivery log.'],
      }
    case 'payment_failed':
      return {
        subject: `Payment failed for ${template.accountName}`,
        intro: [
          `We could not take the payment of ${template.amount} for ${template.accountName} (attempt ${template.attempt}).`,
          template.callsStopOn
            ? `Your receptionist keeps answering calls until ${template.callsStopOn.toUTCString()}; after that, callers hear that the line is unavailable until the payment goes through.`
            : 'Your receptionist keeps answering calls for now.',
        ],
        outro: ['Update your payment method in the billing portal; the payment is retried automatically.'],
      }
    case 'welcome':
      return {
        subject: `Welcome to ${product}`,
        intro: [`Your email is confirmed, and your ${product} account is ready.`, 'Next: set up your agent (greeting, hours, what to ask callers), then connect a phone number or place a test call from your browser.'],
        outro: ['Reply to this email if anything is unclear; a person reads it.'],
      }
    case 'out_of_minutes': {
      const now = {
        refuse: 'callers hear a polite message that the line is unavailable',
        forward: 'calls are forwarded to your own number',
        take_message: 'callers are asked to leave a message',
      }[template.outOfMinutesBehavior]
      return {
        subject: `${template.accountName} has no call minutes left`,
        intro: [`${template.accountName} has used all its minutes for this period, so ${now} instead of talking to your receptionist.`],
        outro: ['Top up minutes or change your plan to have every call answered again.'],
      }
    }
    case 'topup_receipt':
      return {
        subject: `${plural(template.minutes, 'minute')} added to ${template.accountName}`,
        intro: [
          template.automatic
            ? `Your balance ran low, so we bought ${plural(template.minutes, 'minute')} for ${template.amount} with your saved payment method, as your auto top-up setting asks.`
            : `Thank you: ${plural(template.minutes, 'minute')} were added to ${template.accountName} for ${template.amount}.`,
        ],
        outro: ['Top-up minutes never expire; they are used after the minutes your plan includes. The invoice is in your billing portal.'],
      }
    case 'auto_topup_failed':
      return {
        subject: `Auto top-up for ${template.accountName} did not go through`,
        intro: [`We tried to buy ${plural(template.minutes, 'minute')} for ${template.accountName} because the balance ran low, but the payment was refused: ${template.reason}`],
        outro: ['Update your payment method in the billing portal, or top up by hand, so that calls keep being answered.'],
      }
    case 'plan_changed':
      return {
        subject: `${template.accountName} is now on the ${template.to} plan`,
        intro: [`${template.accountName} moved from the ${template.from} plan to the ${template.to} plan. It includes ${plural(template.includedMinutes, 'minute')} each period.`],
        outro: ['Invoices and plan changes are in your billing portal.'],
      }
    case 'policy_update': {
      const policy = { terms: 'Terms of Service', privacy: 'Privacy Policy', dpa: 'Data Processing Agreement' }[template.policy]
      return {
        subject: `We are updating our ${policy}`,
        intro: [`A new version (${template.version}) of the ${product} ${policy} takes effect on ${formatUtc(template.effectiveAt)}.`, `What changes: ${template.summary}`],
        action: { label: `Read the new ${policy}`, url: requireWebUrl(template.url) },
        outro: [`By using ${product} after that date you accept the new version. We will also show this notice when you sign in until you acknowledge it.`],
      }
    }
    case 'data_export_ready':
      return {
        subject: template.subject === 'caller' ? `The caller data export you asked for is ready` : `Your ${product} data export is ready`,
        intro: [
          template.subject === 'caller'
            ? `The export of everything ${product} holds about the caller is ready. Download it from the data requests list, where each link works for five minutes.`
            : `The export of your ${product} account data is ready. Download it from your data requests, where each link works for five minutes.`,
        ],
        facts: [`Available until: ${formatUtc(template.expiresAt)}`],
        outro: ['After that date the archive is deleted; ask for a new export if you need it again.'],
      }
    case 'caller_erased':
      return {
        subject: `A caller's data was erased from ${template.businessName}`,
        intro: [
          `Everything ${product} held about the caller at ${template.businessName} is erased: calls, transcripts, recordings, leads and contacts.`,
          template.leftInConnectors
            ? `${plural(template.leftInConnectors, 'record')} delivered to your connected CRMs or webhooks could not be erased there automatically. The data request lists them; remove them in those systems.`
            : 'Copies delivered to your connected CRMs were erased there too, where their API allows it; the data request lists each one.',
        ],
        outro: ['The audit log keeps a record of the erasure, without the caller\'s details.'],
      }
    case 'organization_closed':
      return {
        subject: `${template.organizationName} was closed on ${product}`,
        intro: [
          `An owner closed ${template.organizationName}. Nobody can sign in to it, its API keys and widgets stopped working, and calls to its numbers are no longer answered.`,
          `Its calls, recordings, transcripts, leads, settings and phone numbers will be deleted for good on ${formatUtc(template.purgeAfter)}. Paid subscriptions end at the close of their current period and are not renewed.`,
        ],
        facts: [`Closed: ${formatUtc(template.closedAt)}`, `Deleted on: ${formatUtc(template.purgeAfter)}`],
        outro: [
          `Changed your mind? Until then, any owner can reopen it: sign in to ${product} and reopen it from the list of closed organizations. Everything comes back as it was.`,
          'Invoices and billing records are kept for seven years, as the law requires.',
        ],
      }
    case 'low_balance': {
      const then = {
        refuse: 'callers will hear a polite message that the line is unavailable',
        forward: 'calls will be forwarded to your own number',
        take_message: 'callers will be asked to leave a message',
      }[template.outOfMinutesBehavior]
      return {
        subject: `${template.accountName} has ${plural(template.minutesLeft, 'minute')} of calls left`,
        intro: [`Your ${product} receptionist for ${template.accountName} has ${plural(template.minutesLeft, 'minute')} left this period. When they run out, ${then}.`],
        outro: ['Top up minutes or change your plan to keep every call answered.'],
      }
    }
  }
}

function describeSecurityAlert(alert: Extract<EmailTemplate, { kind: 'security_alert' }>, branding: Branding): Content {
  const help = branding.supportEmail ? ` and write to ${branding.supportEmail}` : ''
  const ifNotYou = `If this was you, there's nothing to do. If it wasn't, reset your password right away${help}.`
  const headline = {
    refresh_token_reuse: {
      subject: 'We signed you out of all devices',
      what: 'An old sign-in token for your account was used again, which can mean someone copied it. To be safe, we signed you out everywhere.',
      advice: `Sign in again to carry on. If anything looks unfamiliar, change your password${help}.`,
    },
    password_changed: { subject: 'Your password was changed', what: 'The password for your account was just changed.', advice: ifNotYou },
    password_reset: { subject: 'Your password was reset', what: 'The password for your account was just reset with an emailed code.', advice: ifNotYou },
    new_sign_in: { subject: 'New sign-in to your account', what: 'Someone just signed in to your account.', advice: ifNotYou },
    email_changed: { subject: 'Your email address was changed', what: 'The email address of your account was just changed; this address no longer signs in.', advice: `If this wasn't you, write to us right away${help}.` },
  }[alert.event]
  const facts = [`When: ${formatUtc(alert.occurredAt)}`]
  if (alert.ipAddress) facts.push(`IP address: ${alert.ipAddress}`)
  if (alert.userAgent) facts.push(`Device: ${alert.userAgent.slice(0, MAX_USER_AGENT_CHARS)}`)
  return {
    subject: `${branding.productName} security alert: ${headline.subject}`,
    intro: [headline.what],
    facts,
    outro: [headline.advice],
  }
}

function renderText(content: Content, branding: Branding): string {
  const blocks = [...content.intro]
  if (content.facts) blocks.push(content.facts.join('\n'))
  if (content.code) blocks.push(`    ${content.code}`)
  if (content.action) blocks.push(`${content.action.label}: ${content.action.url}`)
  blocks.push(...content.outro, footerLines(branding).join('\n'))
  return `${blocks.join('\n\n')}\n`
}

/**
 * Branding as it may be shown: a colour only when it is a hex colour and a logo only when it is an
 * https URL, so an organization's settings cannot inject CSS or a javascript: link anywhere.
 */
export function presentableBranding(branding: Branding): Branding {
  const { colorBrand, logoUrl, ...rest } = branding
  const logo = httpsUrl(logoUrl)
  return { ...rest, ...(colorBrand && HEX_COLOR.test(colorBrand) && { colorBrand }), ...(logo && { logoUrl: logo }) }
}

function renderHtml(content: Content, untrusted: Branding): string {
  const branding = presentableBranding(untrusted)
  const color = branding.colorBrand ?? NEUTRAL_COLOR
  const logo = branding.logoUrl
  const header = logo
    ? `<img src="${escapeHtml(logo)}" alt="${escapeHtml(branding.productName)}" height="32" style="height:32px;border:0">`
    : `<strong style="font-size:18px;color:${color}">${escapeHtml(branding.productName)}</strong>`
  const paragraph = (line: string) => `<p style="margin:0 0 16px">${escapeHtml(line)}</p>`
  const parts = [`<div style="margin:0 0 24px">${header}</div>`, ...content.intro.map(paragraph)]
  if (content.facts) parts.push(`<p style="margin:0 0 16px;color:#374151">${content.facts.map(escapeHtml).join('<br>')}</p>`)
  if (content.code) {
    parts.push(
      `<p style="margin:0 0 16px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:28px;letter-spacing:6px;font-weight:bold">${escapeHtml(content.code)}</p>`,
    )
  }
  if (content.action) {
    parts.push(
      `<p style="margin:0 0 16px"><a href="${escapeHtml(content.action.url)}" style="display:inline-block;padding:10px 18px;border-radius:6px;background:${color};color:#ffffff;text-decoration:none">${escapeHtml(content.action.label)}</a></p>`,
      paragraph(`Or open this link: ${content.action.url}`),
    )
  }
  parts.push(...content.outro.map(paragraph))
  const footer = footerLines(branding).map(escapeHtml).join('<br>')
  parts.push(`<p style="margin:24px 0 0;color:#6b7280;font-size:13px">${footer}</p>`)
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f9fafb;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#111827">',
    `<div style="max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;border-top:4px solid ${color}">${parts.join('')}</div>`,
    '</body></html>',
  ].join('\n')
}

function footerLines(branding: Branding): string[] {
  const lines = [`The ${branding.productName} team`]
  if (branding.supportEmail) lines.push(`Questions? Write to ${branding.supportEmail}.`)
  return lines
}

/** Escapes the five characters that matter in HTML text and quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch)
}

function httpsUrl(value: string | undefined): string | null {
  if (!value) return null
  const url = URL.parse(value)
  return url?.protocol === 'https:' ? url.href : null
}

// The accept link is built by our own code from PUBLIC_BASE_URL (plain http in local development);
// anything else, such as javascript:, is a bug and must not reach a button.
function requireWebUrl(value: string): string {
  const url = URL.parse(value)
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') throw new Error('invitation acceptUrl must be an http(s) URL')
  return url.href
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
