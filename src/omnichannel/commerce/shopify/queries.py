"""The GraphQL documents we send (Admin API 2025-07). Each has one operation name, which the
client uses to remember its cost and the tests' fake uses to answer it."""

from __future__ import annotations

ADDRESS = "address1 address2 city province provinceCode country countryCodeV2 zip"
MONEY = "shopMoney { amount currencyCode }"

TRANSACTIONS = f"""
  transactions(first: 30) {{
    id kind status gateway createdAt
    amountSet {{ {MONEY} }}
    parentTransaction {{ id }}
    paymentDetails {{ ... on CardPaymentDetails {{ company number }} }}
  }}"""

ORDER = f"""
fragment OrderFields on Order {{
  id name createdAt updatedAt cancelledAt cancelReason
  displayFulfillmentStatus displayFinancialStatus returnStatus
  customer {{ id }}
  shippingAddress {{ firstName lastName company phone {ADDRESS} }}
  lineItems(first: 50) {{
    nodes {{
      id name title quantity currentQuantity
      variant {{ id title selectedOptions {{ name value }} }}
      product {{ id }}
      discountedUnitPriceAfterAllDiscountsSet {{ {MONEY} }}
    }}
  }}
  fulfillments(first: 20) {{
    id name status displayStatus createdAt inTransitAt estimatedDeliveryAt deliveredAt
    trackingInfo(first: 5) {{ company number url }}
    fulfillmentLineItems(first: 50) {{
      nodes {{ id quantity lineItem {{ id variant {{ id }} }} }}
    }}
  }}
  {TRANSACTIONS}
  returns(first: 10) {{
    nodes {{ id name status exchangeLineItems(first: 10) {{ nodes {{ id }} }} }}
  }}
}}"""

ORDER_BY_ID = ORDER + """
query Order($id: ID!) { order(id: $id) { ...OrderFields } }"""

ORDERS_BY_QUERY = ORDER + """
query OrdersByQuery($query: String!) {
  orders(first: 5, query: $query, sortKey: CREATED_AT, reverse: true) {
    nodes { ...OrderFields }
  }
}"""

CUSTOMER_ORDERS = ORDER + """
query CustomerOrders($id: ID!) {
  customer(id: $id) {
    id
    orders(first: 20, sortKey: CREATED_AT, reverse: true) { nodes { ...OrderFields } }
  }
}"""

CUSTOMER = f"""
query Customer($id: ID!) {{
  customer(id: $id) {{
    id firstName lastName
    defaultEmailAddress {{ emailAddress }}
    defaultPhoneNumber {{ phoneNumber }}
    defaultAddress {{ id firstName lastName company phone {ADDRESS} }}
    orders(first: 20, sortKey: CREATED_AT, reverse: true) {{
      nodes {{ name {TRANSACTIONS} }}
    }}
  }}
}}"""

CUSTOMER_SEARCH = """
query CustomerSearch($query: String!) {
  customers(first: 10, query: $query) {
    nodes {
      id firstName lastName
      defaultEmailAddress { emailAddress }
      defaultPhoneNumber { phoneNumber }
      defaultAddress { zip }
      addresses(first: 10) { zip }
    }
  }
}"""

PRODUCT = """
fragment ProductFields on Product {
  id title description status
  variants(first: 100) {
    nodes { id title price availableForSale inventoryQuantity selectedOptions { name value } }
  }
}"""

PRODUCT_BY_ID = PRODUCT + """
query Product($id: ID!) { product(id: $id) { ...ProductFields } }"""

PRODUCTS = PRODUCT + """
query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: TITLE) {
    nodes { ...ProductFields }
    pageInfo { hasNextPage endCursor }
  }
}"""

DISCOUNT = """
query DiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount {
      __typename
      ... on DiscountCodeBasic {
        title summary status endsAt appliesOncePerCustomer
        minimumRequirement {
          ... on DiscountMinimumSubtotal { greaterThanOrEqualToSubtotal { amount } }
        }
        customerGets {
          value {
            ... on DiscountPercentage { percentage }
            ... on DiscountAmount { amount { amount } }
          }
        }
      }
      ... on DiscountCodeFreeShipping { title summary status endsAt appliesOncePerCustomer }
      ... on DiscountCodeBxgy { title summary status endsAt appliesOncePerCustomer }
    }
  }
}"""

# --- writes ------------------------------------------------------------------------------

USER_ERRORS = "userErrors { field message }"
CODED_ERRORS = "userErrors { field message code }"

ORDER_CANCEL = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!,
                     $refundMethod: OrderCancelRefundMethodInput, $restock: Boolean!,
                     $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod,
              restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

# Before 2025-07 the refund was a plain Boolean (`refundMethod` did not exist yet).
ORDER_CANCEL_LEGACY = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
                     $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
              notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

JOB = """
query Job($id: ID!) { job(id: $id) { id done } }"""

ORDER_UPDATE = f"""
mutation OrderUpdate($input: OrderInput!) {{
  orderUpdate(input: $input) {{
    order {{ id shippingAddress {{ {ADDRESS} }} }}
    {USER_ERRORS}
  }}
}}"""

RETURN_REQUEST = f"""
mutation ReturnRequest($input: ReturnRequestInput!) {{
  returnRequest(input: $input) {{
    return {{ id name status }}
    {CODED_ERRORS}
  }}
}}"""

RETURN_CREATE = f"""
mutation ReturnCreate($returnInput: ReturnInput!) {{
  returnCreate(returnInput: $returnInput) {{
    return {{ id name status }}
    {CODED_ERRORS}
  }}
}}"""

REFUND_CREATE = f"""
mutation RefundCreate($input: RefundInput!) {{
  refundCreate(input: $input) {{
    refund {{ id totalRefundedSet {{ {MONEY} }} }}
    {USER_ERRORS}
  }}
}}"""

CUSTOMER_ADDRESS_UPDATE = f"""
mutation CustomerAddressUpdate($customerId: ID!, $addressId: ID!,
                               $address: MailingAddressInput!) {{
  customerAddressUpdate(customerId: $customerId, addressId: $addressId, address: $address,
                        setAsDefault: true) {{
    address {{ id {ADDRESS} }}
    {USER_ERRORS}
  }}
}}"""

CUSTOMER_ADDRESS_CREATE = f"""
mutation CustomerAddressCreate($customerId: ID!, $address: MailingAddressInput!) {{
  customerAddressCreate(customerId: $customerId, address: $address, setAsDefault: true) {{
    address {{ id {ADDRESS} }}
    {USER_ERRORS}
  }}
}}"""
