/**
 * The widgets in a real Chromium, against the real api (in-process, listening) with the seeded
 * demo: the /demo page under its CSP, pagination and filters, live updates from a finished call,
 * saving settings and lead statuses, a test call with its live transcript (the model is a local
 * fake), the host's prefix and theme, axe (WCAG 2 A/AA), and screenshots of every widget in both
 * demo brands (.data/screenshots, not asserted).
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { DEMO_IDS, seedDemo } from '../core/demo/seed-demo.ts'
import { freePort } from '../core/testing/free-port.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { startFakeRealtime, type FakeRealtime } from '../voice/testing/fake-realtime.ts'
import { postTwilio } from '../voice/testing/voice-fixture.ts'

const ROOT = new URL('..', import.meta.url).pathname
const CHROMIUM = '/usr/bin/chromium'
// The fake media flags give the test call a microphone (a generated tone) without a permission
// prompt; no other test asks for one.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']
const ELEMENTS = ['usage-meter', 'call-log', 'call-detail', 'lead-inbox', 'agent-settings'] as const
const BRAND = 'rgb(214, 0, 110)'
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url')
// Host pages are written next to the bundle, which the api serves without a CSP: real documents
// from the api's origin (a page fulfilled by Playwright counts as public, and Chromium's local
// network access checks then block its WebSocket to 127.0.0.1).
const HOST_PAGES = `test-pages/${randomBytes(4).toString('hex')}`

interface Ctx {
  /** Why the suite could not start; every test fails with it (uvu would hide a throwing before hook). */
  setupError?: Error
  t: TestApp
  browser: Browser
  /** The OpenAI Realtime API the media worker talks to during a test call. */
  realtime: FakeRealtime
  base: string
  demoNumber: string
}
interface Opened {
  page: Page
  context: BrowserContext
  /** Console errors (CSP violations among them), uncaught exceptions and securitypolicyviolation events. */
  problems: string[]
}

const widgets = suite<Ctx>('widgets in Chromium')

function buildBundle(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/build-widgets.ts'), '--quiet'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
    let errors = ''
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()))
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`the widget build failed:\n${errors}`))))
  })
}

widgets.before(async (ctx) => {
  try {
    await start(ctx)
  } catch (error) {
    ctx.setupError = error as Error
    process.stderr.write(`widgets.browser.test.ts could not start: ${ctx.setupError.message}\n`)
  }
})
widgets.before.each((ctx) => {
  if (ctx.setupError) throw ctx.setupError
})
widgets.after(async (ctx) => {
  await ctx.browser?.close()
  await ctx.t?.close()
  await ctx.realtime?.close()
  await rm(join(ROOT, 'widgets/dist', HOST_PAGES), { recursive: true, force: true })
})

async function start(ctx: Ctx): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install it (apt-get install chromium); the widget browser tests cannot run without it`)
  await buildBundle()
  // The api allows its own origin only, for CORS and WebSockets: the port must be known up front.
  const port = await freePort()
  ctx.realtime = await startFakeRealtime()
  ctx.t = await openTestApp(buildApp, { PORT: String(port), OPENAI_REALTIME_URL: ctx.realtime.url })
  await ctx.t.app.listen({ host: '127.0.0.1', port })
  ctx.base = `http://127.0.0.1:${port}`
  ctx.demoNumber = ctx.t.app.config.demo.phoneNumber
  await seedDemo(ctx.t.test.db, { phoneNumber: ctx.demoNumber })
  ctx.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
}

/** A fresh browser context on a page of the api, or on a host page of our own (`html`, served without CSP). */
async function open(ctx: Ctx, path: string, html?: string): Promise<Opened> {
  if (html) {
    await mkdir(join(ROOT, 'widgets/dist', HOST_PAGES), { recursive: true })
    await writeFile(join(ROOT, 'widgets/dist', HOST_PAGES, `${path}.html`), html)
    path = `/widgets/${HOST_PAGES}/${path}.html`
  }
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 1000 } })
  context.setDefaultTimeout(10_000)
  context.setDefaultNavigationTimeout(15_000)
  await context.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __csp: string[] }).__csp = [])
    document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`))
  })
  const page = await context.newPage()
  const problems: string[] = []
  // Chromium asks every origin for /favicon.ico by itself; that 404 is no error of the page.
  page.on('console', (message) => message.type() === 'error' && !message.location().url.endsWith('/favicon.ico') && problems.push(`console: ${message.text()} (${message.location().url})`))
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('response', (response) => response.status() >= 400 && problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`))
  await page.goto(`${ctx.base}${path}`)
  return { page, context, problems }
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)
}

// What shows an element has loaded its data (or failed): its rows, items or form, beyond the chrome.
const LOADED: Record<string, string> = {
  'call-log': '[part~="row"], [part~="empty-state"]',
  'lead-inbox': '[part~="item"], [part~="empty-state"]',
  'agent-settings': 'form textarea, form input',
  'usage-meter': '[part~="meter"], [part~="empty-state"]',
  'call-detail': '[part~="header"], [part~="empty-state"]',
}

/** Waits until every element has rendered its data or an error (not loading), then fails on errors. */
async function waitForWidgets(page: Page, prefix = 'answerline-', tags: readonly string[] = ELEMENTS): Promise<void> {
  const full = tags.map((tag) => [`${prefix}${tag}`, LOADED[tag] ?? null] as const)
  await page.waitForFunction((elements) => elements.every(([tag, loaded]) => {
    const element = document.querySelector(tag)
    const root = element?.shadowRoot
    if (!element?.getAttribute('business-id') || !root?.querySelector('[part~="base"]')) return false
    if (root.querySelector('[part~="error"]')) return true
    if (/Loading…|Cargando…|Saving…/.test(root.textContent ?? '') || root.querySelector('[aria-busy="true"]')) return false
    return !loaded || root.querySelector(loaded) !== null
  }), full, { timeout: 10_000 })
  const errors = await page.evaluate((elements) => elements.flatMap(([tag]) => [...(document.querySelector(tag)?.shadowRoot?.querySelectorAll('[part~="error"]') ?? [])].map((e) => `${tag}: ${e.textContent?.trim()}`)), full)
  assert.equal(errors, [], 'no element shows an error')
}

async function demoToken(ctx: Ctx): Promise<{ token: string; businessId: string }> {
  const response = await fetch(`${ctx.base}/demo-api/token?business=dental`)
  assert.is(response.status, 200)
  return (await response.json()) as { token: string; businessId: string }
}

/** A host CRM page of our own that embeds the elements (no CSP, so axe can be injected). */
async function hostPage(ctx: Ctx, options: { body: string; head?: string }): Promise<string> {
  const { token, businessId } = await demoToken(ctx)
  const body = options.body.replaceAll('{token}', token).replaceAll('{business}', businessId)
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme host</title>${options.head ?? ''}</head><body>${body}</body></html>`
}

const rowCount = (page: Page) => page.locator('answerline-call-log [part~="row"]').count()
async function waitForRows(page: Page, expected: (n: number) => boolean, what: string): Promise<number> {
  const deadline = Date.now() + 5000
  for (;;) {
    const n = await rowCount(page)
    if (expected(n)) return n
    if (Date.now() > deadline) assert.unreachable(`${what}: ${n} rows`)
    await page.waitForTimeout(50)
  }
}

widgets('the demo page renders every element with its data, without console errors or CSP violations', async (ctx) => {
  const { page, context, problems } = await open(ctx, '/demo')
  try {
    await waitForWidgets(page)
    for (const tag of ELEMENTS) assert.ok((await page.evaluate((t) => document.querySelector(t)?.shadowRoot?.textContent?.trim().length ?? 0, `answerline-${tag}`)) > 0, `${tag} shows something`)
    assert.ok((await rowCount(page)) > 0, 'the call log shows the demo calls')
    assert.ok((await page.locator('answerline-lead-inbox [part~="item"]').count()) > 0, 'the lead inbox shows the demo leads')
    assert.equal(await cspViolations(page), [])
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets('call log: 20 rows, "Load more" adds the next page, and filters narrow the rows', async (ctx) => {
  const { page, context, problems } = await open(ctx, '/demo')
  const db = ctx.t.test.db
  try {
    await waitForWidgets(page, 'answerline-', ['call-log'])
    assert.is(await rowCount(page), 20)
    await page.locator('answerline-call-log [part~="load-more"]').click()
    await waitForRows(page, (n) => n === 40, 'after Load more')
    const refused = Number((await db('calls').where({ business_id: DEMO_IDS.dental, status: 'refused' }).count({ n: '*' }).first())?.n)
    await page.locator('answerline-call-log select[name="status"]').selectOption('REFUSED')
    await waitForRows(page, (n) => n === Math.min(20, refused), `status REFUSED (${refused} in the database)`)
    await page.locator('answerline-call-log select[name="status"]').selectOption('')
    const hot = Number((await db('leads').where({ business_id: DEMO_IDS.dental, temperature: 'hot' }).count({ n: '*' }).first())?.n)
    await page.locator('answerline-call-log select[name="temperature"]').selectOption('HOT')
    await waitForRows(page, (n) => n === Math.min(20, hot), `temperature HOT (${hot} in the database)`)
    await page.locator('answerline-call-log select[name="temperature"]').selectOption('')
    const answered = Number((await db('calls').where({ business_id: DEMO_IDS.dental, outcome: 'question_answered' }).count({ n: '*' }).first())?.n)
    await page.locator('answerline-call-log select[name="outcome"]').selectOption('question_answered')
    // Every row shown says so, in the catalog's words.
    await page.locator('answerline-call-log [part~="row"]').filter({ hasNotText: 'Question answered' }).first().waitFor({ state: 'detached', timeout: 5000 })
    assert.is(await rowCount(page), Math.min(20, answered), `outcome question_answered (${answered} in the database)`)
    await page.locator('answerline-call-log select[name="outcome"]').selectOption('')
    // The two date inputs are there only once "Choose dates" is picked; from a day after every call, none is left.
    const dateInputs = page.locator('answerline-call-log input[type="date"]')
    assert.is(await dateInputs.count(), 0)
    await page.locator('answerline-call-log select[name="range"]').selectOption('custom')
    await page.locator('answerline-call-log input[name="from"]').fill(new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10))
    await page.locator('answerline-call-log [part~="empty-state"]').waitFor({ timeout: 5000 })
    assert.is(await rowCount(page), 0)
    await page.locator('answerline-call-log select[name="range"]').selectOption('week')
    await waitForRows(page, (n) => n > 0, 'the last 7 days (the demo calls are recent)')
    assert.is(await dateInputs.count(), 0)
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets('live update: a call that ends while the page is open appears within 1 s of its status callback', async (ctx) => {
  const { page, context, problems } = await open(ctx, '/demo')
  try {
    const subscribed = new Promise<void>((resolve) => page.on('websocket', (socket) => socket.on('framesent', (frame) => String(frame.payload).includes('callChanged') && resolve())))
    await waitForWidgets(page, 'answerline-', ['call-log'])
    await Promise.race([subscribed, page.waitForTimeout(5000).then(() => assert.unreachable('the call log never subscribed to callChanged'))])
    await page.waitForTimeout(200)
    const sid = `CA${randomBytes(16).toString('hex')}`
    const from = `+1555${String(Date.now() % 10_000_000).padStart(7, '0')}`
    assert.is((await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: from, To: ctx.demoNumber })).statusCode, 200)
    const started = Date.now()
    assert.is((await postTwilio(ctx.t.app, '/voice/status', { CallSid: sid, CallStatus: 'completed', SequenceNumber: '4', CallDuration: '42' })).statusCode, 204)
    // 0:42 shows only once the finished call (with its duration) has reached the page.
    const row = page.locator('answerline-call-log [part~="row"]').first()
    await row.filter({ hasText: from }).filter({ hasText: '0:42' }).waitFor({ timeout: Math.max(1, 1000 - (Date.now() - started)) })
    assert.ok(Date.now() - started <= 1000, `${Date.now() - started} ms`)
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets('agent settings: a changed greeting is saved, and is there after a reload (and in the database)', async (ctx) => {
  const { page, context, problems } = await open(ctx, '/demo')
  try {
    await waitForWidgets(page, 'answerline-', ['agent-settings'])
    const settings = page.locator('answerline-agent-settings')
    const greeting = `Hello from the browser test ${randomBytes(3).toString('hex')}. How can we help?`
    await settings.getByRole('textbox', { name: 'Greeting', exact: true }).fill(greeting)
    await settings.getByRole('button', { name: 'Save', exact: true }).click()
    const deadline = Date.now() + 5000
    const latest = () => ctx.t.test.db('agent_configs').where({ business_id: DEMO_IDS.dental }).orderBy('version', 'desc').first('greeting', 'version')
    while ((await latest())?.greeting !== greeting && Date.now() < deadline) await page.waitForTimeout(50)
    assert.is((await latest())?.greeting, greeting, 'the new version in the database')
    await page.reload()
    await waitForWidgets(page, 'answerline-', ['agent-settings'])
    assert.is(await page.locator('answerline-agent-settings').getByRole('textbox', { name: 'Greeting', exact: true }).inputValue(), greeting)
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

/** Polls `check` until it holds, failing with `what` after `ms`. */
async function until(page: Page, check: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`)
    await page.waitForTimeout(50)
  }
}

widgets('agent settings: a test call from the microphone shows what the agent and the caller say, as text, and then ends', async (ctx) => {
  const { page, context, problems } = await open(ctx, '/demo')
  const greeting = 'Hi <b>there</b> & "welcome" to Bright Smile.'
  ctx.realtime.reply = { ...ctx.realtime.reply, transcript: greeting }
  try {
    await waitForWidgets(page, 'answerline-', ['agent-settings'])
    const settings = page.locator('answerline-agent-settings')
    const status = settings.locator('.call-status')
    const lines = settings.locator('[part~="test-call-transcript"] li')
    await settings.getByRole('button', { name: 'Talk to your agent', exact: true }).click()
    await status.filter({ hasText: 'Connected: speak to your agent.' }).waitFor({ timeout: 5000 })
    await lines.filter({ hasText: 'Bright Smile' }).waitFor({ timeout: 5000 })
    ctx.realtime.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_caller_1', content_index: 0, transcript: 'Can I book a <i>cleaning</i>?' })
    await lines.nth(1).waitFor({ timeout: 5000 })
    assert.equal(await lines.allTextContents(), [`Agent: ${greeting}`, 'You: Can I book a <i>cleaning</i>?'])
    assert.is(await settings.locator('[part~="test-call-transcript"] b, [part~="test-call-transcript"] i').count(), 0, 'the text is not parsed as markup')
    assert.is(await settings.locator('[aria-live="polite"] > [part~="test-call-transcript"]').count(), 1, 'the transcript is in a live region')
    await until(page, () => ctx.realtime.received.some((event) => event.type === 'input_audio_buffer.append'), 'the microphone\'s audio at the model', 5000)
    await settings.getByRole('button', { name: 'End test call', exact: true }).click()
    await status.filter({ hasText: 'The test call has ended.' }).waitFor({ timeout: 5000 })
    assert.is(await lines.count(), 2, 'the lines stay after the call')
    // The test call is settled (minutes, transcript) but is no caller's: no lead, nothing for connectors.
    const testCall = await ctx.t.test.db('calls').where({ business_id: DEMO_IDS.dental, direction: 'test' }).orderBy('created_at', 'desc').first('id')
    await until(page, async () => (await ctx.t.test.db('calls').where({ id: testCall.id }).first('ended_at')).ended_at !== null, 'the settled test call', 10_000)
    assert.equal(problems, [])
  } finally {
    ctx.realtime.reply = { ...ctx.realtime.reply, transcript: 'Hello, thanks for calling.' }
    await context.close()
  }
})

widgets('lead inbox: a changed status persists', async (ctx) => {
  const { page, context, problems } = await open(ctx, '/demo')
  const leads = () => ctx.t.test.db('leads').where({ business_id: DEMO_IDS.dental })
  try {
    await waitForWidgets(page, 'answerline-', ['lead-inbox'])
    // The inbox lists leads newest first: its first item is this lead.
    const newest = await leads().orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first('id', 'status')
    const target = newest.status === 'won' ? 'LOST' : 'WON'
    await page.locator('answerline-lead-inbox [part~="item"]').first().click()
    const select = page.locator('answerline-lead-inbox #lead-status')
    await select.selectOption(target)
    const deadline = Date.now() + 5000
    while ((await leads().where({ id: newest.id }).first('status')).status !== target.toLowerCase() && Date.now() < deadline) await page.waitForTimeout(50)
    assert.is((await leads().where({ id: newest.id }).first('status')).status, target.toLowerCase(), 'the new status in the database')
    await page.reload()
    await waitForWidgets(page, 'answerline-', ['lead-inbox'])
    await page.locator('answerline-lead-inbox [part~="item"]').first().click()
    await page.locator('answerline-lead-inbox [part~="card"][aria-busy="false"] #lead-status').waitFor()
    const shownBy = Date.now() + 2000
    while ((await select.inputValue()) !== target && Date.now() < shownBy) await page.waitForTimeout(50)
    assert.is(await select.inputValue(), target, 'the status select shows the saved status after a reload')
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets('prefix: a host page loading the bundle with data-prefix="acme-" gets acme-call-log', async (ctx) => {
  const html = await hostPage(ctx, {
    head: '<script type="module" src="/widgets/answerline.js" data-prefix="acme-"></script>',
    body: '<acme-call-log business-id="{business}" token="{token}"></acme-call-log>',
  })
  const { page, context, problems } = await open(ctx, 'prefix', html)
  try {
    await page.waitForFunction(() => customElements.get('answerline-usage-meter') || customElements.get('acme-usage-meter'))
    assert.ok(await page.evaluate(() => customElements.get('acme-call-log') !== undefined), 'acme-call-log is defined')
    assert.ok(await page.evaluate(() => customElements.get('answerline-call-log') === undefined), 'nothing is registered under the default prefix')
    await page.locator('acme-call-log [part~="row"]').first().waitFor()
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets("theming: the host page's --al-brand, set on an ancestor, reaches the shadow DOM, the dark theme changes the surface, and loading the bundle twice is harmless", async (ctx) => {
  const html = await hostPage(ctx, {
    head: `<style>body { --al-brand: ${BRAND}; }</style>
      <script>window.AnswerlineWidgets = { prefix: 'acme-' }</script>
      <script type="module" src="/widgets/answerline.js"></script>
      <script type="module" src="/widgets/answerline.js?again"></script>
      <script type="module" src="/widgets/call-log.js"></script>`,
    body: `<acme-call-log class="branded" business-id="{business}" token="{token}"></acme-call-log>
      <acme-call-log id="dark" theme="dark" business-id="{business}" token="{token}"></acme-call-log>`,
  })
  const { page, context, problems } = await open(ctx, 'theming', html)
  try {
    await page.waitForFunction(() => [...document.querySelectorAll('acme-call-log')].every((e) => e.shadowRoot?.querySelector('[part~="row"]')))
    const look = await page.evaluate(() => [...document.querySelectorAll('acme-call-log')].map((e) => {
      const base = e.shadowRoot!.querySelector('[part~="base"]')!
      return { brand: getComputedStyle(base).getPropertyValue('--al-color-brand').trim(), surface: getComputedStyle(base).backgroundColor }
    }))
    assert.is(look[0]?.brand, BRAND, 'the host brand reaches the shadow root')
    assert.is.not(look[1]?.surface, look[0]?.surface, 'the dark theme changes the surface')
    const [r, g, b] = (look[1]?.surface.match(/\d+/g) ?? []).map(Number)
    assert.ok((r ?? 255) + (g ?? 255) + (b ?? 255) < 200, `dark surface ${look[1]?.surface}`)
    // The brand is painted too: the chosen row is marked in it.
    await page.locator('acme-call-log.branded [part~="row"]').first().click()
    const mark = await page.evaluate(() => getComputedStyle(document.querySelector('acme-call-log.branded')!.shadowRoot!.querySelector('[part~="row"][aria-current="true"] td')!).boxShadow)
    assert.ok(mark.includes(BRAND), mark)
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets("white label: the agency's name at the foot of each element, its colour as the accent unless the host sets one", async (ctx) => {
  const html = await hostPage(ctx, {
    head: '<script type="module" src="/widgets/answerline.js"></script>',
    body: '<answerline-usage-meter business-id="{business}" token="{token}"></answerline-usage-meter><div style="--al-brand: rgb(214, 0, 110)"><answerline-call-log business-id="{business}" token="{token}"></answerline-call-log></div>',
  })
  const { page, context, problems } = await open(ctx, 'white-label', html)
  try {
    await waitForWidgets(page, 'answerline-', ['usage-meter', 'call-log'])
    const brand = (tag: string) => page.locator(`answerline-${tag} [part~="brand"]`)
    await brand('usage-meter').waitFor()
    await brand('call-log').waitFor()
    assert.is(await brand('usage-meter').textContent(), 'Northwind Reception', "the demo agency's product name")
    assert.not.match((await page.evaluate(() => [...document.querySelectorAll('answerline-usage-meter, answerline-call-log')].map((e) => e.shadowRoot?.textContent).join(' '))) ?? '', /Answerline/, 'no Answerline name on a white-labelled page')
    const accent = (tag: string) => page.evaluate((t) => getComputedStyle(document.querySelector(t)!.shadowRoot!.querySelector('[part~="base"]')!).getPropertyValue('--al-color-brand').trim(), `answerline-${tag}`)
    assert.is(await accent('usage-meter'), '#1f6feb', "the agency's colour by default")
    assert.is(await accent('call-log'), 'rgb(214, 0, 110)', "the host's --al-brand wins")
    assert.equal(problems, [])
  } finally {
    await context.close()
  }
})

widgets('accessibility: axe finds no WCAG 2 A/AA violations in any element, light or dark', async (ctx) => {
  const call = await ctx.t.test.db('calls').join('leads', 'leads.call_id', 'calls.id').where({ 'calls.business_id': DEMO_IDS.dental }).orderBy('calls.started_at', 'desc').first('calls.id')
  for (const theme of ['light', 'dark'] as const) {
    const attrs = `business-id="{business}" token="{token}" theme="${theme}"`
    const html = await hostPage(ctx, {
      head: `<script type="module" src="/widgets/answerline.js"></script>${theme === 'dark' ? '<style>body { background: #0d0f14; }</style>' : ''}`,
      body: `<main>${ELEMENTS.map((tag) => `<section aria-label="${tag}"><answerline-${tag} ${attrs}${tag === 'call-detail' ? ` call-id="${globalId('Call', call.id)}"` : ''}></answerline-${tag}></section>`).join('')}</main>`,
    })
    const { page, context, problems } = await open(ctx, `a11y-${theme}`, html)
    try {
      await waitForWidgets(page)
      await page.locator('answerline-lead-inbox [part~="item"]').first().click()
      await waitForWidgets(page)
      await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') })
      const violations = await page.evaluate(async (tags) => {
        const found: string[] = []
        const axe = (window as unknown as { axe: { run(context: Element, options: object): Promise<{ violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe
        for (const tag of tags) {
          const result = await axe.run(document.querySelector(tag)!, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
          for (const v of result.violations) found.push(`${tag}: ${v.id} (${v.help}) at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`)
        }
        return found
      }, ELEMENTS.map((tag) => `answerline-${tag}`))
      assert.equal(violations, [], `${theme} theme`)
      assert.equal(problems, [])
    } finally {
      await context.close()
    }
  }
})

widgets('screenshots of every element in both demo brands (.data/screenshots)', async (ctx) => {
  const dir = join(ROOT, '.data', 'screenshots')
  await mkdir(dir, { recursive: true })
  const { page, context } = await open(ctx, '/demo')
  try {
    await waitForWidgets(page)
    // A seeded call with a transcript, consent and a lead (other tests add calls without them).
    const call = await ctx.t.test.db('calls').join('leads', 'leads.call_id', 'calls.id').join('consent_records', 'consent_records.call_id', 'calls.id').where({ 'calls.business_id': DEMO_IDS.dental, decision: 'given' }).orderBy('calls.started_at', 'desc').first('calls.id')
    await page.evaluate((id) => document.querySelector('answerline-call-detail')?.setAttribute('call-id', id), globalId('Call', call.id))
    await page.locator('answerline-lead-inbox [part~="item"]').first().click()
    for (const brand of ['northwind', 'summit']) {
      await page.selectOption('#brand', brand)
      await waitForWidgets(page)
      for (const tag of ELEMENTS) await page.locator(`answerline-${tag}`).screenshot({ path: join(dir, `${tag}-${brand}.png`), animations: 'disabled' })
    }
  } finally {
    await context.close()
  }
})

widgets.run()
