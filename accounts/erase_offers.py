"""The offer to delete data after a consent withdrawal, kept until the listener answers it.

A withdrawal hook (registered for every purpose in ``AccountsConfig.ready``) opens the offer in
the withdrawal's own transaction, whether the withdrawal came from the page or the API. Deleting
the data or choosing to keep it closes the offer; granting the purpose again hides it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from accounts import privacy
from accounts.consent import consent_state
from accounts.models import ConsentPurpose, EraseOffer, User


def erase_offer_open(*, user: User, purpose: str) -> EraseOffer:
    offer, _ = EraseOffer.objects.get_or_create(user=user, purpose=ConsentPurpose(purpose))
    return offer


@transaction.atomic
def erase_offer_close(*, user: User, purpose: str) -> None:
    """The listener answered (deleted the data, or chose to keep it): the offer goes."""
    EraseOffer.objects.filter(user=user, purpose=ConsentPurpose(purpose)).delete()


def erase_offers_open(*, user: User) -> list[ConsentPurpose]:
    """Purposes whose offer waits for an answer, oldest first; a purpose granted again since
    its withdrawal has nothing to offer."""
    offers = list(EraseOffer.objects.filter(user=user).values_list("purpose", flat=True))
    if not offers:
        return []
    state = consent_state(user)
    return [ConsentPurpose(purpose) for purpose in offers if not state[ConsentPurpose(purpose)]]


def _opener(purpose: ConsentPurpose) -> Callable[..., None]:
    def open_offer(*, user: User) -> None:
        erase_offer_open(user=user, purpose=purpose)

    return open_offer


# Made once, so registering twice (a second ``ready()``) adds no second hook.
_OPENERS = {purpose: _opener(purpose) for purpose in ConsentPurpose}


def register_withdrawal_hooks() -> None:
    for purpose, opener in _OPENERS.items():
        privacy.register_withdrawal_hook(purpose, opener)
