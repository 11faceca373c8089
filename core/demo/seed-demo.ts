import bcrypt from 'bcryptjs'
import type { Knex } from 'knex'
import { PLANS } from '../billing/plans.ts'
import { appendLedger } from '../billing/minute-ledger.ts'
import { AgentConfig, BillingAccount, Business, Membership, Organization, PhoneNumber, User } from '../db/models/index.ts'
import { seedDemoActivity, type DemoBusinessScript } from './demo-activity.ts'

/** Fixed ids make the seed idempotent: a second run finds every row and changes nothing. */
export const DEMO_IDS = {
  agency: '5eed0000-0000-4000-8000-000000000001',
  dental: '5eed0000-0000-4000-8000-000000000011',
  plumbing: '5eed0000-0000-4000-8000-000000000012',
  owner: '5eed0000-0000-4000-8000-000000000021',
  billing: '5eed0000-0000-4000-8000-000000000031',
} as const

export const DEMO_LOGIN = { email: 'owner@demo.answerline.test', password: 'answerline-demo' } as const

const DEMO_PLAN = 'growth'
const DENTAL_SERVICES = ['Cleanings', 'Fillings', 'Whitening', 'Emergency visits']
const PLUMBING_SERVICES = ['Leak repair', 'Drain cleaning', 'Water heaters', '24/7 emergencies']
const BCRYPT_COST = 12

export interface DemoSeedResult {
  login: typeof DEMO_LOGIN
  organizationId: string
  businessIds: string[]
  phoneNumber: string
  /** False when every row already existed. */
  created: boolean
  /** True when this run added the demo calls, transcripts, consent records, contacts and leads. */
  activityCreated: boolean
}

/**
 * Seeds the demo: an agency with two client businesses, an owner who can sign in, an agent for
 * each business, the demo phone number on the dental practice, and a paid plan with minutes; then
 * a month of finished calls with transcripts, consent records, contacts and leads for each
 * business (added once, also to a demo seeded before the activity existed).
 */
export async function seedDemo(db: Knex, options: { phoneNumber: string }): Promise<DemoSeedResult> {
  return db.transaction(async (trx) => {
    // Serializes concurrent seeds (two processes starting at once) on one advisory lock.
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['answerline.seed-demo'])
    const created = (await Organization.query(trx).findById(DEMO_IDS.agency)) === undefined
    if (created) await insertDemo(trx)
    await attachDemoNumber(trx, options.phoneNumber)
    const activityCreated = await seedDemoActivity(trx, demoScripts(options.phoneNumber))
    return {
      login: DEMO_LOGIN,
      organizationId: DEMO_IDS.agency,
      businessIds: [DEMO_IDS.dental, DEMO_IDS.plumbing],
      phoneNumber: options.phoneNumber,
      created,
      activityCreated,
    }
  })
}

async function insertDemo(trx: Knex.Transaction): Promise<void> {
  await Organization.query(trx).insert({
    id: DEMO_IDS.agency,
    kind: 'agency',
    name: 'Northwind Growth Agency',
    whiteLabel: true,
    branding: { productName: 'Northwind Reception', colorBrand: '#1f6feb', colorSurface: '#ffffff', radius: '8px' },
  })
  await Business.query(trx).insert([
    { id: DEMO_IDS.dental, organizationId: DEMO_IDS.agency, name: 'Bright Smile Dental', timeZone: 'America/New_York', country: 'US' },
    { id: DEMO_IDS.plumbing, organizationId: DEMO_IDS.agency, name: 'Harbor Plumbing Co.', timeZone: 'America/Chicago', country: 'US' },
  ])
  await User.query(trx).insert({
    id: DEMO_IDS.owner,
    email: DEMO_LOGIN.email,
    emailVerifiedAt: new Date(),
    passwordHash: await bcrypt.hash(DEMO_LOGIN.password, BCRYPT_COST),
    displayName: 'Dana Owner',
  })
  await Membership.query(trx).insert({ organizationId: DEMO_IDS.agency, userId: DEMO_IDS.owner, role: 'owner' })
  await AgentConfig.query(trx).insert([
    demoAgent(DEMO_IDS.dental, 'Bright Smile Dental', DENTAL_SERVICES),
    demoAgent(DEMO_IDS.plumbing, 'Harbor Plumbing Co.', PLUMBING_SERVICES),
  ])

  const periodStart = new Date()
  const periodEnd = new Date(periodStart.getTime() + 30 * 24 * 3600 * 1000)
  await BillingAccount.query(trx).insert({
    id: DEMO_IDS.billing,
    organizationId: DEMO_IDS.agency,
    displayName: 'Northwind Growth Agency',
    plan: DEMO_PLAN,
    subscriptionStatus: 'active',
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodEnd,
  })
  await appendLedger(trx, DEMO_IDS.billing, [
    {
      kind: 'allowance',
      bucket: 'included',
      minutes: PLANS[DEMO_PLAN].includedMinutes ?? 0,
      periodStart,
      idempotencyKey: `demo:allowance:${DEMO_IDS.billing}`,
      note: 'Demo plan allowance',
    },
  ])
}

/** The demo number follows DEMO_PHONE_NUMBER: a changed value is attached on the next seed. */
async function attachDemoNumber(trx: Knex.Transaction, e164: string): Promise<void> {
  const existing = await PhoneNumber.query(trx).where({ e164, status: 'active' }).first()
  if (existing) return
  const number = await PhoneNumber.query(trx).insert({ businessId: DEMO_IDS.dental, e164, source: 'attached', friendlyName: 'Demo line' })
  await trx('number_slot_events').insert({ business_id: DEMO_IDS.dental, phone_number_id: number.id, kind: 'attached' })
}

const CONSENT_PROMPT = 'This call may be recorded to help us serve you. Say yes or press 1 to allow recording, or say no or press 2 to continue without it.'

function demoScripts(phoneNumber: string): DemoBusinessScript[] {
  return [
    {
      businessId: DEMO_IDS.dental,
      index: 0,
      name: 'Bright Smile Dental',
      toNumber: phoneNumber,
      reasons: [
        { say: 'I have a bad toothache on the left side', topic: 'a toothache', service: 'Emergency visits', urgent: true },
        { say: 'I need to book a check-up and a cleaning', topic: 'booking a check-up', service: 'Cleanings' },
        { say: 'My filling came loose this morning', topic: 'a loose filling', service: 'Fillings' },
        { say: 'I would like to know what whitening costs', topic: 'whitening prices', service: 'Whitening' },
        { say: 'I chipped a front tooth yesterday', topic: 'a chipped tooth', service: 'Emergency visits', urgent: true },
        { say: 'I need to move my appointment to next week', topic: 'rescheduling an appointment', service: 'Cleanings' },
      ],
      consentPrompt: CONSENT_PROMPT,
    },
    {
      businessId: DEMO_IDS.plumbing,
      index: 1,
      name: 'Harbor Plumbing Co.',
      toNumber: '+15005550007',
      reasons: [
        { say: 'My kitchen sink is leaking under the cabinet', topic: 'a leaking sink', service: 'Leak repair' },
        { say: 'The water heater stopped working', topic: 'a broken water heater', service: 'Water heaters' },
        { say: 'The drain in the basement is blocked', topic: 'a blocked drain', service: 'Drain cleaning' },
        { say: 'I need a quote for replacing old pipes', topic: 'a quote for new pipes', service: 'Leak repair' },
        { say: 'Water is coming through the kitchen ceiling', topic: 'water coming through a ceiling', service: '24/7 emergencies', urgent: true },
        { say: 'A pipe burst in the garage', topic: 'a burst pipe', service: '24/7 emergencies', urgent: true },
      ],
      consentPrompt: CONSENT_PROMPT,
    },
  ]
}

function demoAgent(businessId: string, name: string, services: string[]) {
  return {
    businessId,
    version: 1,
    greeting: `Thanks for calling ${name}. How can I help you today?`,
    disclosureText: `Hi, you've reached ${name}. I'm an AI assistant answering calls for the team.`,
    consentPrompt: CONSENT_PROMPT,
    systemPrompt: `You are the friendly receptionist of ${name}. Find out who is calling, how to reach them and what they need. Be brief and warm.`,
    knowledge: `${name} is open Monday to Friday, 8am to 6pm.`,
    services,
    workingHours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, [{ open: '08:00', close: '18:00' }]])),
    captureFields: [{ key: 'preferred_time', label: 'Preferred appointment time', type: 'text', required: false }],
    escalationRules: { askForHuman: true, keywords: ['emergency', 'urgent'], vipNumbers: [] },
    forwardingNumber: '+15005550001',
  }
}
