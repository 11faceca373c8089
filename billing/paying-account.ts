import { AppError, billingAccountRowFor, type Knex } from '../core/index.ts'

/** The account that pays for the business's calls, every column; NOT_FOUND when none does. */
export async function payingAccount(db: Knex, business: { id: string; organizationId: string }): Promise<Record<string, any>> {
  const account = await billingAccountRowFor(db, business)
  if (!account) throw new AppError('NOT_FOUND', 'No billing account pays for this business')
  return account
}
