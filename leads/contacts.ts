import type { Knex } from '../core/index.ts'

export interface ContactDetails {
  name: string | null
  phone: string | null
  email: string | null
}

/**
 * The contact a caller's leads hang together on, within one business: found by phone, else by
 * email, else created. A found contact gains the details it lacked, unless another contact
 * already holds them (two contacts are never merged behind a person's back). Callers with neither a
 * phone number nor an email have no contact. Runs in the caller's transaction.
 */
export async function linkContact(trx: Knex.Transaction, businessId: string, details: ContactDetails): Promise<string | null> {
  const { phone, email } = details
  if (!phone && !email) return null
  for (let attempt = 0; attempt < 2; attempt++) {
    const matches: Array<Record<string, any>> = await trx('contacts')
      .where({ business_id: businessId })
      .andWhere((q) => {
        if (phone) q.orWhere({ phone })
        if (email) q.orWhere({ email })
      })
      .forUpdate()
    const byPhone = phone ? matches.find((c) => c.phone === phone) : undefined
    const byEmail = email ? matches.find((c) => c.email === email) : undefined
    const contact = byPhone ?? byEmail
    if (contact) {
      const fill: Record<string, string> = {}
      if (!contact.name && details.name) fill.name = details.name
      if (!contact.phone && phone && !byPhone) fill.phone = phone
      if (!contact.email && email && !byEmail) fill.email = email
      if (Object.keys(fill).length) await trx('contacts').where({ id: contact.id }).update(fill)
      return contact.id as string
    }
    // A concurrent call from the same caller may create it first: then the next pass finds it.
    const [created] = await trx('contacts').insert({ business_id: businessId, name: details.name, phone, email }).onConflict().ignore().returning('id')
    if (created) return created.id as string
  }
  throw new Error('contact could not be linked')
}
