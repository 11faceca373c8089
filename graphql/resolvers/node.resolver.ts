import type { IResolvers, MercuriusContext } from 'mercurius'
import { fromGlobalId } from '../relay/global-id.ts'
import { accountNodeLoaders } from './account.resolver.ts'
import { numberNodeLoaders } from './number.resolver.ts'
import { callNodeLoaders } from './call.resolver.ts'
import { leadNodeLoaders } from './lead.resolver.ts'
import { connectorNodeLoaders } from './connector.resolver.ts'
import { loadPlanNode } from './plan.resolver.ts'
import { privacyNodeLoaders } from './privacy.resolver.ts'
import { policyNodeLoaders } from './policy.resolver.ts'

type NodeLoader = (localId: string, context: MercuriusContext) => Promise<object | null> | object | null

/**
 * One loader per type that implements Node. A loader returns null for what does not exist or
 * what the caller may not see, so `node(id:)` never tells the two apart.
 */
const nodeLoaders: Record<string, NodeLoader> = {
  Plan: loadPlanNode,
  ...accountNodeLoaders,
  ...numberNodeLoaders,
  ...callNodeLoaders,
  ...leadNodeLoaders,
  ...connectorNodeLoaders,
  ...privacyNodeLoaders,
  ...policyNodeLoaders,
}

async function loadNode(globalId: string, context: MercuriusContext): Promise<object | null> {
  const { type, localId } = fromGlobalId(globalId)
  const loader = nodeLoaders[type]
  if (!loader) return null
  const node = await loader(localId, context)
  return node && { ...node, __typename: type }
}

export const nodeResolvers: IResolvers = {
  Query: {
    node: (_root, { id }: { id: string }, context) => loadNode(id, context),
    nodes: (_root, { ids }: { ids: string[] }, context) => Promise.all(ids.map((id) => loadNode(id, context))),
  },
  Node: {
    resolveType: (node: { __typename: string }) => node.__typename,
  },
}
