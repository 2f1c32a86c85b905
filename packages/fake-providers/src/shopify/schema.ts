import { type GraphQLSchema, buildSchema } from 'graphql'

/**
 * The part of Shopify's GraphQL Admin API schema the fake serves: orders, products and customers
 * as connections (`first`/`after`/`last`/`before`, `sortKey`, `reverse`, `query`), single lookups,
 * `node`/`nodes`, and `shop`. Field names and types follow the real schema; fields and sort keys
 * not listed here fail validation, as an unknown field does on Shopify.
 */
const SDL = /* GraphQL */ `
  scalar DateTime
  scalar Decimal
  scalar UnsignedInt64

  enum CurrencyCode {
    USD
    EUR
    GBP
    CAD
  }
  enum OrderDisplayFinancialStatus {
    PENDING
    AUTHORIZED
    PARTIALLY_PAID
    PAID
    PARTIALLY_REFUNDED
    REFUNDED
    VOIDED
    EXPIRED
  }
  enum OrderDisplayFulfillmentStatus {
    UNFULFILLED
    PARTIALLY_FULFILLED
    FULFILLED
    RESTOCKED
    PENDING_FULFILLMENT
    OPEN
    IN_PROGRESS
    ON_HOLD
    SCHEDULED
  }
  enum ProductStatus {
    ACTIVE
    ARCHIVED
    DRAFT
  }
  enum CustomerState {
    DECLINED
    DISABLED
    ENABLED
    INVITED
  }
  enum OrderSortKeys {
    CREATED_AT
    ID
    PROCESSED_AT
    UPDATED_AT
  }
  enum ProductSortKeys {
    CREATED_AT
    ID
    TITLE
    UPDATED_AT
  }
  enum CustomerSortKeys {
    CREATED_AT
    ID
    NAME
    UPDATED_AT
  }

  interface Node {
    id: ID!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type MoneyV2 {
    amount: Decimal!
    currencyCode: CurrencyCode!
  }
  type MoneyBag {
    shopMoney: MoneyV2!
    presentmentMoney: MoneyV2!
  }

  type LineItem implements Node {
    id: ID!
    name: String!
    title: String!
    quantity: Int!
    sku: String
    originalUnitPriceSet: MoneyBag!
  }
  type LineItemEdge {
    cursor: String!
    node: LineItem!
  }
  type LineItemConnection {
    edges: [LineItemEdge!]!
    nodes: [LineItem!]!
    pageInfo: PageInfo!
  }

  type Order implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    name: String!
    email: String
    createdAt: DateTime!
    updatedAt: DateTime!
    processedAt: DateTime!
    cancelledAt: DateTime
    closed: Boolean!
    test: Boolean!
    tags: [String!]!
    currencyCode: CurrencyCode!
    displayFinancialStatus: OrderDisplayFinancialStatus
    displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
    totalPriceSet: MoneyBag!
    subtotalPriceSet: MoneyBag
    customer: Customer
    lineItems(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean = false
    ): LineItemConnection!
  }
  type OrderEdge {
    cursor: String!
    node: Order!
  }
  type OrderConnection {
    edges: [OrderEdge!]!
    nodes: [Order!]!
    pageInfo: PageInfo!
  }

  type Product implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    title: String!
    handle: String!
    status: ProductStatus!
    vendor: String!
    productType: String!
    tags: [String!]!
    totalInventory: Int!
    createdAt: DateTime!
    updatedAt: DateTime!
    publishedAt: DateTime
  }
  type ProductEdge {
    cursor: String!
    node: Product!
  }
  type ProductConnection {
    edges: [ProductEdge!]!
    nodes: [Product!]!
    pageInfo: PageInfo!
  }

  type Customer implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    firstName: String
    lastName: String
    displayName: String!
    email: String
    verifiedEmail: Boolean!
    state: CustomerState!
    tags: [String!]!
    numberOfOrders: UnsignedInt64!
    createdAt: DateTime!
    updatedAt: DateTime!
  }
  type CustomerEdge {
    cursor: String!
    node: Customer!
  }
  type CustomerConnection {
    edges: [CustomerEdge!]!
    nodes: [Customer!]!
    pageInfo: PageInfo!
  }

  type Shop {
    name: String!
    myshopifyDomain: String!
    currencyCode: CurrencyCode!
  }

  type Query {
    orders(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean = false
      sortKey: OrderSortKeys = ID
      query: String
    ): OrderConnection!
    order(id: ID!): Order
    products(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean = false
      sortKey: ProductSortKeys = ID
      query: String
    ): ProductConnection!
    product(id: ID!): Product
    customers(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean = false
      sortKey: CustomerSortKeys = ID
      query: String
    ): CustomerConnection!
    customer(id: ID!): Customer
    node(id: ID!): Node
    nodes(ids: [ID!]!): [Node]!
    shop: Shop!
  }
`

/** The fake's schema, built once. */
export const shopifySchema: GraphQLSchema = buildSchema(SDL)
