"""Personal data: found (:mod:`.recognisers`, :mod:`.detect`), kept out of the model and masked wherever it
would be shown (:mod:`.mask`, :mod:`.personal`), and small groups suppressed in group metrics (:mod:`.groups`)."""

from .detect import DEFAULT_SAMPLE_ROWS, PiiFinding, detect_pii
from .groups import suppress_small_groups
from .mask import mask_frame, mask_mapping, mask_value, partial_mask, privacy_key, pseudonym
from .personal import DEFAULT_MIN_GROUP_ROWS, PersonalData, find_personal
from .recognisers import (
    KINDS,
    is_email,
    is_ip,
    is_phone,
    kind_from_name,
    looks_like_name,
    valid_card,
    valid_cnpj,
    valid_cpf,
)

__all__ = [
    "DEFAULT_MIN_GROUP_ROWS",
    "DEFAULT_SAMPLE_ROWS",
    "KINDS",
    "PersonalData",
    "PiiFinding",
    "detect_pii",
    "find_personal",
    "is_email",
    "is_ip",
    "is_phone",
    "kind_from_name",
    "looks_like_name",
    "mask_frame",
    "mask_mapping",
    "mask_value",
    "partial_mask",
    "privacy_key",
    "pseudonym",
    "suppress_small_groups",
    "valid_card",
    "valid_cnpj",
    "valid_cpf",
]
