import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  OperationTypeNode,
  type SelectionSetNode,
  type ValueNode,
  getNamedType,
  isCompositeType,
  isLeafType,
  isObjectType,
  isInterfaceType,
} from 'graphql'

/**
 * Shopify's calculated query cost, after its published rules: scalars and enums cost 0, an object
 * 1, a connection 2 plus the objects it returns, and whatever is selected inside a connection's
 * nodes counts once per node. The requested cost assumes every connection returns `first`/`last`
 * nodes; the actual cost counts the nodes that came back.
 */
export interface QueryCostContext {
  schema: GraphQLSchema
  document: DocumentNode
  operationName?: string | undefined
  variables?: Record<string, unknown> | undefined
}

/** The cost before execution, from the query alone. */
export function requestedQueryCost(context: QueryCostContext): number {
  return operationCost(context, undefined)
}

/** The cost of what was returned, from the query and the response's `data`. */
export function actualQueryCost(context: QueryCostContext, data: unknown): number {
  return operationCost(context, data ?? {})
}

function operationCost(context: QueryCostContext, data: unknown): number {
  const operation = context.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION &&
      (context.operationName === undefined || d.name?.value === context.operationName),
  )
  const root = operation?.operation === OperationTypeNode.QUERY ? context.schema.getQueryType() : undefined
  if (operation === undefined || root == null) return 0
  const fragments = new Map(
    context.document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  )
  return new CostWalker(context, fragments).selections(operation.selectionSet, root, data)
}

class CostWalker {
  constructor(
    private readonly context: QueryCostContext,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
  ) {}

  /** `data` undefined: requested cost; otherwise the object those selections were resolved on. */
  selections(set: SelectionSetNode, parent: GraphQLCompositeType, data: unknown): number {
    let cost = 0
    for (const field of this.fields(set, parent)) cost += this.field(field.node, field.parent, data)
    return cost
  }

  private field(node: FieldNode, parent: GraphQLCompositeType, data: unknown): number {
    if (node.name.value === '__typename' || !(isObjectType(parent) || isInterfaceType(parent))) return 0
    const definition = parent.getFields()[node.name.value]
    if (definition === undefined || node.selectionSet === undefined) return 0
    const type = getNamedType(definition.type)
    if (isLeafType(type) || !isCompositeType(type)) return 0
    const value =
      data === undefined
        ? undefined
        : (data as Record<string, unknown> | null)?.[node.alias?.value ?? node.name.value]
    if (type.name.endsWith('Connection'))
      return this.connection(node, type, data === undefined ? undefined : value)
    if (data === undefined) return 1 + this.selections(node.selectionSet, type, undefined)
    if (value == null) return 0
    const items = Array.isArray(value) ? value : [value]
    return items.reduce<number>(
      (sum, item) =>
        sum + (item == null ? 0 : 1 + this.selections(node.selectionSet as SelectionSetNode, type, item)),
      0,
    )
  }

  private connection(node: FieldNode, type: GraphQLCompositeType, value: unknown): number {
    const nodeType = this.context.schema.getType(type.name.replace(/Connection$/, ''))
    if (nodeType === undefined || !isCompositeType(nodeType) || node.selectionSet === undefined) return 2
    // The selection sets applied to each node: `edges { node { … } }` and `nodes { … }`.
    const perNode: { set: SelectionSetNode; read: (connection: unknown) => unknown[] }[] = []
    for (const { node: child } of this.fields(node.selectionSet, type)) {
      const key = child.alias?.value ?? child.name.value
      if (child.name.value === 'nodes' && child.selectionSet !== undefined) {
        perNode.push({ set: child.selectionSet, read: (c) => asArray((c as Record<string, unknown>)[key]) })
      }
      if (child.name.value === 'edges' && child.selectionSet !== undefined) {
        const edgeType = this.context.schema.getType(`${nodeType.name}Edge`)
        if (edgeType === undefined || !isCompositeType(edgeType)) continue
        for (const { node: edgeField } of this.fields(child.selectionSet, edgeType)) {
          if (edgeField.name.value !== 'node' || edgeField.selectionSet === undefined) continue
          const nodeKey = edgeField.alias?.value ?? 'node'
          perNode.push({
            set: edgeField.selectionSet,
            read: (c) =>
              asArray((c as Record<string, unknown>)[key]).map(
                (edge) => (edge as Record<string, unknown> | null)?.[nodeKey],
              ),
          })
        }
      }
    }
    if (value === undefined) {
      const count = this.pageSize(node)
      return (
        2 + count + count * perNode.reduce((sum, p) => sum + this.selections(p.set, nodeType, undefined), 0)
      )
    }
    if (value === null) return 0
    let returned = 0
    let inner = 0
    for (const p of perNode) {
      const nodes = p.read(value)
      returned = Math.max(returned, nodes.length)
      for (const item of nodes) inner += item == null ? 0 : this.selections(p.set, nodeType, item)
    }
    return 2 + returned + inner
  }

  private pageSize(node: FieldNode): number {
    for (const name of ['first', 'last']) {
      const arg = node.arguments?.find((a) => a.name.value === name)
      if (arg === undefined) continue
      const value = this.literal(arg.value)
      if (typeof value === 'number') return value
    }
    return 0
  }

  private literal(value: ValueNode): unknown {
    if (value.kind === Kind.INT) return Number(value.value)
    if (value.kind === Kind.VARIABLE) return this.context.variables?.[value.name.value]
    return undefined
  }

  /** The fields of a selection set, fragments flattened, each with the type it is selected on. */
  private fields(
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
  ): { node: FieldNode; parent: GraphQLCompositeType }[] {
    const out: { node: FieldNode; parent: GraphQLCompositeType }[] = []
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        out.push({ node: selection, parent })
      } else {
        const fragment =
          selection.kind === Kind.INLINE_FRAGMENT ? selection : this.fragments.get(selection.name.value)
        if (fragment === undefined) continue
        const condition =
          fragment.typeCondition === undefined
            ? parent
            : this.context.schema.getType(fragment.typeCondition.name.value)
        if (condition === undefined || !isCompositeType(condition)) continue
        out.push(...this.fields(fragment.selectionSet, condition))
      }
    }
    return out
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
