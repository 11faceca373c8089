/**
 * Finding and exporting a caller within one business: input read as the business's callers dial
 * (national numbers in its country, emails in any case), matches by number, by email, through
 * contacts, capture fields and outbound calls, never another business's, and an archive of all of
 * it that the requester downloads through a five-minute link.
 */
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { UserInputError } from '../core/index.ts'
import { insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { rejects } from '../core/testing/rejects.ts'
import { toGlobalId as g } from '../graphql/relay/global-id.ts'
import { findCallerData } from './caller-data.ts'
import { callerRequestHandlers } from './caller-requests.ts'
import { callerForms, readCallerSubject } from './caller-subject.ts'
import { serveDataRequest } from './data-request-job.ts'
import { mentionPattern } from './mention-redaction.ts'
import { seedCall, type Person } from './testing/caller-seed.ts'
import { closePrivacyApp, openPrivacyApp, tokenFor, type PrivacyApp } from './testing/privacy-fixture.ts'

interface Ctx {
  p: PrivacyApp
  businessId: string
  owner: string
}

const callerData = suite<Ctx>('privacy: finding and exporting a caller')
const MIA: Person = { name: 'Mia Chen', phone: '+442079460958', email: 'mia.chen@example.co.uk', spoken: '020 7946 0958' }

callerData.before(async (ctx) => {
  // No job workers: the export's job is served by hand.
  ctx.p = await openPrivacyApp('api')
  const db = ctx.p.t.test.db
  const org = await insertOrganization(db, { kind: 'direct', name: 'Camden Locksmiths' })
  ctx.businessId = org.businessIds[0] as string
  await db('businesses').where({ id: ctx.businessId }).update({ country: 'GB' })
  const owner = await insertUser(db)
  await insertMembership(db, owner.id, org.id, 'owner')
  ctx.owner = await tokenFor(ctx.p, owner.email)
})
callerData.after((ctx) => closePrivacyApp(ctx.p))

const subject = (ctx: Ctx, input: { phone?: string | null; email?: string | null }) => readCallerSubject(ctx.p.t.test.db, ctx.businessId, input)

callerData('input is read as the business\'s callers dial: national numbers in its country, emails in any case; anything else is a user error', async (ctx) => {
  assert.equal(await subject(ctx, { phone: '020 7946 0958' }), { phone: MIA.phone, email: null })
  assert.equal(await subject(ctx, { phone: '+44 20 7946 0958', email: '  Mia.Chen@Example.CO.UK ' }), { phone: MIA.phone, email: MIA.email })
  assert.equal(await subject(ctx, { email: 'mia.chen@example.co.uk', phone: '  ' }), { phone: null, email: MIA.email })
  const refused = async (input: { phone?: string | null; email?: string | null }) => {
    const error = await rejects(subject(ctx, input))
    assert.instance(error, UserInputError)
    return (error as unknown as UserInputError).userErrors.map((e) => `${e.field.join('.')}:${e.code}`)
  }
  assert.equal(await refused({}), ['input.phone:REQUIRED', 'input.email:REQUIRED'])
  assert.equal(await refused({ phone: 'anonymous' }), ['input.phone:INVALID'])
  assert.equal(await refused({ phone: '12' }), ['input.phone:INVALID'])
  assert.equal(await refused({ email: 'mia at example' }), ['input.email:INVALID'])
  assert.equal(callerForms({ phone: MIA.phone, email: MIA.email }), [MIA.email, MIA.phone, '442079460958', '2079460958'])
})

callerData('mentions are matched as people write numbers and emails, never inside a longer number', async (ctx) => {
  const pattern = mentionPattern({ phone: MIA.phone, email: 'mia.chen@example.co.uk' }) as string
  const { rows } = await ctx.p.t.test.db.raw(
    `select t, t ~* ? as hit, regexp_replace(t, ?, '[erased]', 'gi') as redacted from unnest(?::text[]) t`,
    [pattern, pattern, ['ring 020 7946 0958 today', 'or +44 (0)20 7946-0958', '442079460958', 'MIA.CHEN@EXAMPLE.CO.UK', 'ref 120794609581', 'miaXchen@example.co.uk', 'order 2079460958']],
  )
  assert.equal(rows.map((r: { hit: boolean; redacted: string }) => [r.hit, r.redacted]), [
    [true, 'ring [erased] today'],
    [true, 'or [erased]'],
    [true, '[erased]'],
    [true, '[erased]'],
    [false, 'ref 120794609581'],
    [false, 'miaXchen@example.co.uk'],
    [true, 'order [erased]'],
  ])
})

callerData('the caller is found by number, by email, through contacts, capture fields and outbound calls, and only in this business', async (ctx) => {
  const db = ctx.p.t.test.db
  const own = await seedCall(ctx.p, ctx.businessId, MIA)
  const byEmail = await seedCall(ctx.p, ctx.businessId, { ...MIA, phone: '+442079460111' })
  const outbound = await seedCall(ctx.p, ctx.businessId, MIA, { direction: 'outbound' })
  const named = await seedCall(ctx.p, ctx.businessId, { name: 'Neighbour', phone: '+442079460222', email: 'n@example.com', spoken: '' })
  await db('leads').where({ id: named.leadId }).update({ custom_fields: { partnerEmail: MIA.email } })
  const stranger = await seedCall(ctx.p, ctx.businessId, { name: 'Stranger', phone: '+442079460333', email: 's@example.com', spoken: '' })
  const other = await insertOrganization(db)
  await seedCall(ctx.p, other.businessIds[0] as string, MIA)

  const byPhone = await findCallerData(db, ctx.businessId, { phone: MIA.phone, email: null })
  assert.equal(new Set(byPhone.callIds), new Set([own.callId, outbound.callId, byEmail.callId]), 'the number\'s calls, and through its contact the call from another number')
  const byMail = await findCallerData(db, ctx.businessId, { phone: null, email: MIA.email })
  assert.equal(new Set(byMail.callIds), new Set([own.callId, byEmail.callId, outbound.callId, named.callId]))
  assert.ok(!byMail.callIds.includes(stranger.callId))
  assert.equal(new Set(byMail.contactIds), new Set([own.contactId, named.contactId]))
  assert.is(byMail.transcriptSegments, 8)
  assert.is(byMail.recordings, 4)
  assert.equal(await findCallerData(db, ctx.businessId, { phone: '+442079469999', email: null }), { callIds: [], leadIds: [], contactIds: [], transcriptSegments: 0, recordings: 0, deliveredTo: [] })
})

callerData('the export archive holds the caller\'s calls with transcripts and consent, recording details, leads with notes and revisions, contacts and deliveries; the requester downloads it', async (ctx) => {
  const db = ctx.p.t.test.db
  const person: Person = { name: 'Ola Berg', phone: '+442079460444', email: 'ola@example.se', spoken: '020 7946 0444' }
  const [hook] = await db('connectors').insert({ business_id: ctx.businessId, kind: 'webhook', name: 'Office hook', status: 'paused', config: { url: 'https://crm.example/hook' } }).returning('id')
  const call = await seedCall(ctx.p, ctx.businessId, person, { connectorIds: [hook.id] })
  await seedCall(ctx.p, ctx.businessId, { name: 'Someone Else', phone: '+442079460555', email: 'else@example.com', spoken: '' })
  const asked = await graphqlRequest(ctx.p.t.app, 'mutation($i: RequestCallerExportInput!) { requestCallerExport(input: $i) { dataRequest { id status downloadUrl } userErrors { code } } }', { i: { businessId: g('Business', ctx.businessId), phone: '020 7946 0444' } }, { token: ctx.owner })
  const requested = asked.data.requestCallerExport.dataRequest
  assert.equal([requested.status, requested.downloadUrl], ['PENDING', null])
  const requestId = Buffer.from(requested.id, 'base64url').toString().split(':')[1] as string
  const storage = ctx.p.storage
  const handlers = callerRequestHandlers({ db, storage, eraseDelivered: async () => assert.unreachable('an export erases nothing') as never })
  await serveDataRequest({ db, storage, mailer: ctx.p.t.app.mailer, keys: ctx.p.t.app.config.connectors.keys, log: pino({ level: 'silent' }), handlers }, { id: randomUUID(), data: { requestId }, retryCount: 0, retryLimit: 5, signal: new AbortController().signal })

  const shown = await graphqlRequest(ctx.p.t.app, 'query($id: ID!) { node(id: $id) { ... on DataRequest { status downloadUrl expiresAt counts deliveredTo { totalCount nodes { connectorName erasure } } } } }', { id: requested.id }, { token: ctx.owner })
  const request = shown.data.node
  assert.is(request.status, 'COMPLETED')
  assert.equal(request.counts, { calls: 1, transcriptSegments: 2, recordings: 1, leads: 1, contacts: 1 })
  assert.equal(request.deliveredTo, { totalCount: 2, nodes: [{ connectorName: 'Office hook', erasure: null }, { connectorName: 'Office hook', erasure: null }] })
  const archive = (await (await fetch(request.downloadUrl)).json()) as Record<string, any>
  assert.is(archive.format, 'answerline.caller-export.v1')
  assert.equal(archive.caller, { phone: person.phone, email: null })
  assert.equal(archive.calls.map((c: Record<string, unknown>) => c.id), [call.callId])
  const [exportedCall] = archive.calls
  assert.equal(exportedCall.transcript.map((s: { text: string }) => s.text), ['Hi, this is Ola Berg.', `My number is ${person.spoken}, and my email is ${person.email}.`])
  assert.equal(exportedCall.consent.map((c: Record<string, unknown>) => [c.decision, c.method]), [['given', 'dtmf']])
  assert.equal(Object.keys(exportedCall.recordings[0]).sort(), ['bytes', 'channels', 'completedAt', 'durationMs', 'format', 'startedAt', 'status'], 'details, not the audio or where it is kept')
  const [lead] = archive.leads
  assert.equal([lead.id, lead.email, lead.customFields.callback], [call.leadId, person.email, person.phone])
  assert.equal(lead.notes.map((n: { body: string }) => n.body), [`Emailed ${person.email}, texted ${person.phone}`])
  assert.equal(lead.revisions[0].changes.email, { from: null, to: person.email })
  assert.equal(archive.contacts.map((c: { id: string }) => c.id), [call.contactId])
  assert.equal(archive.deliveredTo.map((d: { deliveryId: string }) => d.deliveryId).sort(), [...call.deliveryIds].sort())
  assert.not.ok(JSON.stringify(archive).includes('else@example.com'), 'nobody else\'s data')

  // The link is for those who manage the business: not for a member.
  const memberUser = await insertUser(db)
  const orgId = (await db('businesses').where({ id: ctx.businessId }).first('organization_id')).organization_id
  await insertMembership(db, memberUser.id, orgId, 'member')
  const asMember = await graphqlRequest(ctx.p.t.app, 'query($id: ID!) { node(id: $id) { id } }', { id: requested.id }, { token: await tokenFor(ctx.p, memberUser.email) })
  assert.is(asMember.data.node, null)
})

callerData.run()
