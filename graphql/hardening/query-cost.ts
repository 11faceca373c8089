import {
  getNamedType,
  isCompositeType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
  isObjectType,
  isInterfaceType,
  getNullableType,
  isListType,
} from 'graphql'
import { DEFAULT_PAGE_SIZE } from '../relay/connection.ts'

/**
 * The work a query asks for: one point per field, with everything under a connection multiplied
 * by the page size it asks for (`first`/`last`, else the default), and everything under a list
 * argument such as `ids` by its length. Estimated before execution, so a query is priced by what it
 * could cost, not by what the data happened to hold.
 */
export function estimateQueryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> = {}): number {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
  // The client picks the operation to run by name, so a document costs what its dearest operation costs.
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)

  const valueOf = (node: ValueNode): unknown => {
    if (node.kind === Kind.VARIABLE) return variables[node.name.value]
    if (node.kind === Kind.INT) return Number(node.value)
    if (node.kind === Kind.LIST) return node.values
    return undefined
  }

  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, visiting: Set<string>): number => {
    let total = 0
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value)
        if (!fragment || visiting.has(fragment.name.value)) continue
        const type = schema.getType(fragment.typeCondition.name.value)
        if (type && isCompositeType(type)) total += costOf(fragment.selectionSet, type, new Set([...visiting, fragment.name.value]))
        continue
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent
        if (type && isCompositeType(type)) total += costOf(selection.selectionSet, type, visiting)
        continue
      }
      if (selection.name.value.startsWith('__')) continue
      const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined
      if (!field) continue
      const named = getNamedType(field.type)
      let multiplier = 1
      const args = new Map((selection.arguments ?? []).map((a) => [a.name.value, valueOf(a.value)]))
      if (named.name.endsWith('Connection')) {
        const size = Number(args.get('first') ?? args.get('last') ?? DEFAULT_PAGE_SIZE)
        multiplier = Number.isFinite(size) && size >= 0 ? size : DEFAULT_PAGE_SIZE
      } else if (isListType(getNullableType(field.type)) && !parent.name.endsWith('Connection')) {
        // A connection's edges and nodes are already priced by its page size.
        const ids = args.get('ids')
        multiplier = Array.isArray(ids) ? ids.length : DEFAULT_PAGE_SIZE
      }
      const children = selection.selectionSet && isCompositeType(named) ? costOf(selection.selectionSet, named, visiting) : 0
      total += 1 + multiplier * children
    }
    return total
  }
  let dearest = 0
  for (const operation of operations) {
    const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType()
    if (root) dearest = Math.max(dearest, costOf(operation.selectionSet, root, new Set()))
  }
  return dearest
}
