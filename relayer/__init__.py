"""The relayer (SPEC section 6): a service a merchant runs so that customers without gas can redeem
and exchange. It checks a signed request as the chain would, queues it durably, and a worker sends
it with the merchant's key, paying the gas, exactly once in effect.

    keys       the paying key, from an `ape accounts` alias or a local dev account
    checks     what the chain would refuse, found before anything is queued
    policy     the merchant's limits: rates, pending counts, budget, balance, deadlines
    store      the durable queue, nonce sequence and attempts (models + migrations)
    fees       EIP-1559 fees and their bumps
    worker     sending, re-sending, receipts, confirmations and reorganisations
    app        the HTTP routes
"""
