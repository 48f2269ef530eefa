"""The statement behind "whose points expire soon": the read API's expiring list and the notifier's
`points.expiring` notices both walk a program's epoch groups in order of expiry, then account.

Epochs expire in their order, so the index on (program, epoch, account) serves it for any window:
the caller turns the window's times into epochs (`points.ledger.epochs_expiring_between`).
"""

from sqlalchemy import Integer, bindparam, select, tuple_

from database.schema import EpochGroup, table_of

GROUPS = table_of(EpochGroup)

_EXPIRING = (select(GROUPS.c.account, GROUPS.c.epoch, GROUPS.c.amount, GROUPS.c.expires_at)
             .where(GROUPS.c.program == bindparam("program"), GROUPS.c.epoch >= bindparam("first_epoch"),
                    GROUPS.c.epoch <= bindparam("last_epoch"))
             .order_by(GROUPS.c.epoch, GROUPS.c.account).limit(bindparam("limit", type_=Integer)))
# Parameters: program, first_epoch, last_epoch, limit; and for a later page the last row's
# after_epoch and after_account.
EXPIRING_FIRST = _EXPIRING
EXPIRING_AFTER = _EXPIRING.where(tuple_(GROUPS.c.epoch, GROUPS.c.account)
                                 > tuple_(bindparam("after_epoch"), bindparam("after_account")))
