import type { Knex } from 'knex'
import { AppError } from '../../core/index.ts'

/** Page size limits: large enough for a table view, small enough to keep one query cheap. */
export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface ConnectionArgs {
  first?: number | null
  after?: string | null
  last?: number | null
  before?: string | null
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>
  nodes: T[]
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }
  totalCount: number | (() => Promise<number>)
}

type Direction = 'forward' | 'backward'

interface PageRequest {
  direction: Direction
  size: number
  cursor: string | null
}

function readPageRequest(args: ConnectionArgs): PageRequest {
  const { first, after, last, before } = args
  if (first != null && last != null) throw new AppError('BAD_USER_INPUT', 'Pass either `first` or `last`, not both')
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value != null && (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE)) {
      throw new AppError('BAD_USER_INPUT', `\`${name}\` must be between 0 and ${MAX_PAGE_SIZE}`, { argument: name })
    }
  }
  if (last != null || (before != null && first == null)) return { direction: 'backward', size: last ?? DEFAULT_PAGE_SIZE, cursor: before ?? null }
  return { direction: 'forward', size: first ?? DEFAULT_PAGE_SIZE, cursor: after ?? null }
}

function encodeCursor(position: unknown[]): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url')
}

function decodeCursor(cursor: string, length: number): unknown[] {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(position) && position.length === length) return position
  } catch {
    // reported below
  }
  throw new AppError('BAD_USER_INPUT', 'The cursor is not valid for this list', { cursor: cursor.slice(0, 100) })
}

function toConnection<T>(rows: T[], request: PageRequest, hasMore: boolean, cursorOf: (row: T) => string, totalCount: Connection<T>['totalCount']): Connection<T> {
  const page = request.direction === 'backward' ? rows.slice(0, request.size).reverse() : rows.slice(0, request.size)
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }))
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: request.direction === 'forward' ? hasMore : request.cursor !== null,
      hasPreviousPage: request.direction === 'backward' ? hasMore : request.cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  }
}

/** Paginates a list held in memory (small fixed catalogs). Cursors are positions in the list. */
export function connectionFromArray<T>(items: readonly T[], args: ConnectionArgs): Connection<T> {
  const request = readPageRequest(args)
  const at = request.cursor === null ? null : decodeCursor(request.cursor, 1)[0]
  if (at !== null && (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= items.length)) {
    throw new AppError('BAD_USER_INPUT', 'The cursor is not valid for this list')
  }
  const indexed = items.map((item, index) => ({ item, index }))
  const rows = request.direction === 'forward' ? indexed.slice(at === null ? 0 : (at as number) + 1) : indexed.slice(0, at === null ? undefined : (at as number)).reverse()
  const connection = toConnection(rows, request, rows.length > request.size, (row) => encodeCursor([row.index]), items.length)
  return { ...connection, nodes: connection.nodes.map((row) => row.item), edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: edge.node.item })) }
}

export interface KeysetOrder {
  /** Column sorted on, e.g. "started_at"; ties are broken by `id` in the same direction. */
  column: string
  direction: 'asc' | 'desc'
}

/**
 * Keyset pagination of a knex query: the cursor is the last row's (sort value, id), so a page
 * costs one index range scan however deep the client pages, and rows inserted meanwhile do not
 * shift pages. `query` must already be filtered to what the caller may see.
 */
export async function paginateQuery<T extends { id: string }>(
  query: Knex.QueryBuilder,
  args: ConnectionArgs,
  order: KeysetOrder,
): Promise<Connection<T>> {
  const request = readPageRequest(args)
  const forwardAscending = order.direction === 'asc'
  const ascending = request.direction === 'forward' ? forwardAscending : !forwardAscending
  const countQuery = query.clone()
  const page = query.clone()
  if (request.cursor !== null) {
    const [value, id] = decodeCursor(request.cursor, 2)
    if (typeof id !== 'string' || !UUID.test(id) || (typeof value !== 'string' && typeof value !== 'number')) {
      throw new AppError('BAD_USER_INPUT', 'The cursor is not valid for this list')
    }
    page.whereRaw(`(??, ??) ${ascending ? '>' : '<'} (?, ?)`, [order.column, 'id', value, id])
  }
  page.orderBy([
    { column: order.column, order: ascending ? 'asc' : 'desc' },
    { column: 'id', order: ascending ? 'asc' : 'desc' },
  ])
  let rows: Array<T & Record<string, unknown>>
  try {
    rows = await page.limit(request.size + 1)
  } catch (error) {
    // A hand-edited cursor whose sort value PostgreSQL cannot read as the column's type (class 22: data exception).
    if (request.cursor !== null && /^22/.test(String((error as { code?: unknown }).code))) {
      throw new AppError('BAD_USER_INPUT', 'The cursor is not valid for this list', undefined, { cause: error })
    }
    throw error
  }
  const cursorOf = (row: T & Record<string, unknown>) => encodeCursor([serializeSortValue(row[order.column]), row.id])
  const totalCount = async () => Number(((await countQuery.clearSelect().clearOrder().count({ count: '*' }).first()) as { count: number | string }).count)
  // Backward pages are fetched nearest-first; toConnection restores the list's own order.
  return toConnection(rows, request, rows.length > request.size, cursorOf, totalCount) as Connection<T>
}

function serializeSortValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value
}
