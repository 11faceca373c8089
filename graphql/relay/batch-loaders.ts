import type { MercuriusContext } from 'mercurius'

type Query = { obj: Record<string, any> }

/**
 * A mercurius loader fetching, in one query per request, the rows that a list of parents point at
 * through `foreignKey` (lead.call_id -> calls.id). The parents were already authorized, and a
 * row they point at belongs to the same business (composite foreign keys guarantee it).
 */
export function rowsById(table: string, foreignKey: string) {
  return async (queries: Query[], ctx: MercuriusContext): Promise<Array<Record<string, any> | null>> => {
    const ids = [...new Set(queries.map((q) => q.obj[foreignKey]).filter((id): id is string => typeof id === 'string'))]
    const rows: Array<Record<string, any>> = ids.length ? await ctx.db(table).whereIn('id', ids) : []
    const byId = new Map(rows.map((row) => [row.id as string, row]))
    return queries.map((q) => byId.get(q.obj[foreignKey]) ?? null)
  }
}

/** Like rowsById, for the row of `table` whose `column` equals the parent's id (a call's lead). */
export function rowsByParent(table: string, column: string) {
  return async (queries: Query[], ctx: MercuriusContext): Promise<Array<Record<string, any> | null>> => {
    const ids = [...new Set(queries.map((q) => q.obj.id as string))]
    const rows: Array<Record<string, any>> = ids.length ? await ctx.db(table).whereIn(column, ids) : []
    const byParent = new Map(rows.map((row) => [row[column] as string, row]))
    return queries.map((q) => byParent.get(q.obj.id) ?? null)
  }
}
