"""Recognisers for personal data: one value at a time (CPF, CNPJ, e-mail, phone, payment card, IP address, a
person's name) and one column name at a time (English and Portuguese words).

Written here rather than taken from Presidio: its analyzer needs a spaCy language model, which would have to be
downloaded at run time. The check-digit rules are the published ones (Receita Federal for CPF and CNPJ, including
the alphanumeric CNPJ of 2026; ISO/IEC 7812 Luhn for cards).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

# What a personal-data column holds; each kind has a message (privacy.kind_<kind>) and a way of masking.
KINDS = ("person_name", "email", "phone", "cpf", "cnpj", "card", "ip", "address", "account", "birth_date",
         "document", "other")

_CPF = re.compile(r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$")
_CNPJ = re.compile(r"^[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/?[0-9A-Z]{4}-?\d{2}$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# A phone number: an optional +country code, an optional area code (in brackets or not), then digit groups
# joined by spaces, dots or dashes. The digit count is checked apart (10 to 15), so dates and small numbers fail.
_PHONE = re.compile(r"^(\+\d{1,3}[\s.-]?)?(\(\d{1,4}\)[\s.-]?|\d{1,4}[\s.-])?(\d{2,5}[\s.-]?){1,3}\d{2,5}$")
_CARD = re.compile(r"^\d{4}([\s-]?\d{2,7}){2,4}$")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
_NAME_TOKEN = re.compile(r"^[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+\.?$")
_CONNECTORS = frozenset({"da", "de", "do", "das", "dos", "e", "van", "von", "der", "del", "di", "la", "le", "y"})

# Common first names in Brazil and in English-speaking countries: a value that starts with one of these and reads
# as two or more capitalised words is taken for a person's name.
_FIRST_NAMES_TEXT = """
maria ana francisca antonia adriana juliana marcia fernanda patricia aline sandra camila amanda bruna jessica
leticia julia luciana vanessa mariana gabriela vera beatriz larissa rafaela carla claudia simone daniela priscila
renata tatiana luana isabela sofia alice laura helena valentina manuela giovana lorena livia heloisa cecilia
jose joao antonio francisco carlos paulo pedro lucas luiz marcos luis gabriel rafael daniel marcelo bruno eduardo
felipe raimundo rodrigo manoel mateus andre fernando fabio leonardo gustavo guilherme leandro tiago anderson
ricardo marcio jorge sebastiao alexandre roberto edson diego vitor sergio claudio matheus thiago geraldo adriano
luciano julio renato alex vinicius rogerio samuel ronaldo mario flavio igor douglas davi enzo arthur heitor
bernardo miguel otavio caio henrique murilo
james john robert michael william david richard joseph thomas charles christopher daniel matthew anthony mark
donald steven paul andrew joshua kenneth kevin brian george timothy ronald edward jason jeffrey ryan jacob gary
nicholas eric jonathan stephen larry justin scott brandon benjamin samuel frank gregory raymond alexander patrick
jack dennis jerry tyler aaron henry adam peter nathan zachary kyle walter harold jeremy ethan carl keith roger
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty margaret sandra ashley
kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie rebecca sharon laura cynthia kathleen
amy shirley angela helen anna brenda pamela nicole emma samantha katherine christine debra rachel catherine
carolyn janet ruth maria heather diane virginia julie joyce victoria olivia kelly christina lauren joan evelyn
judith megan cheryl andrea hannah martha jacqueline frances gloria ann teresa kathryn sara janice jean alice
madison doris abigail julia judy grace denise amber marilyn beverly danielle theresa sophia marie diana brittany
natalie isabella charlotte rose alexis kayla
"""
FIRST_NAMES = frozenset(_FIRST_NAMES_TEXT.split())

# Column names, compared as words without accents: English and Portuguese.
_NAME_WORDS: dict[str, frozenset[str]] = {
    "person_name": frozenset({"name", "nome", "names", "nomes", "surname", "sobrenome", "firstname", "lastname",
                              "fullname", "nomecompleto", "forename", "givenname", "familyname"}),
    "email": frozenset({"email", "emails", "mail", "correio", "eletronico"}),
    "phone": frozenset({"phone", "telephone", "telefone", "celular", "mobile", "cellphone", "fone", "whatsapp",
                        "tel", "phonenumber", "telefones"}),
    "cpf": frozenset({"cpf"}),
    "cnpj": frozenset({"cnpj"}),
    "document": frozenset({"rg", "ssn", "passport", "passaporte", "nif", "nin", "documento", "identidade"}),
    "address": frozenset({"address", "endereco", "logradouro", "street", "rua", "cep", "zip", "zipcode", "postcode",
                          "postal", "bairro"}),
    "ip": frozenset({"ip", "ipv4", "ipv6", "ipaddress"}),
    "birth_date": frozenset({"dob", "birth", "birthdate", "birthday", "nascimento", "datanascimento"}),
    "card": frozenset({"pan", "cardnumber", "creditcard", "cartao"}),
    "account": frozenset({"iban", "accountnumber", "accountid", "customerid", "clientid", "userid", "username",
                          "login", "usuario"}),
}
# Two-word names: an "owner" word with an "identifier" word ("id de conta", "account number", "customer id").
_OWNERS = frozenset({"account", "conta", "customer", "cliente", "client", "user", "member", "patient", "paciente",
                     "card", "cartao"})
_IDENTIFIERS = frozenset({"id", "number", "numero", "nr", "no", "code", "codigo", "identifier"})


def digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _cpf_digit(numbers: list[int]) -> int:
    total = sum(n * w for n, w in zip(numbers, range(len(numbers) + 1, 1, -1), strict=True))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def valid_cpf(value: str) -> bool:
    """A CPF with both check digits right (formatted ``529.982.247-25`` or 11 digits; never one digit repeated)."""
    value = str(value).strip()
    if not _CPF.match(value):
        return False
    numbers = [int(ch) for ch in digits(value)]
    if len(set(numbers)) == 1:
        return False
    first = _cpf_digit(numbers[:9])
    second = _cpf_digit([*numbers[:9], first])
    return numbers[9] == first and numbers[10] == second


def _cnpj_digit(values: list[int]) -> int:
    weights = list(range(len(values) - 7, 1, -1)) + list(range(9, 1, -1))
    rest = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def valid_cnpj(value: str) -> bool:
    """A CNPJ with both check digits right: numeric (``11.222.333/0001-81``) or the alphanumeric form of July 2026
    (12 letters or digits, each worth its character code minus 48, then two digits)."""
    value = str(value).strip().upper()
    if not _CNPJ.match(value):
        return False
    chars = [ch for ch in value if ch.isalnum()]
    if len(chars) != 14 or len(set(chars)) == 1:
        return False
    values = [ord(ch) - 48 for ch in chars[:12]]
    first = _cnpj_digit(values)
    second = _cnpj_digit([*values, first])
    return chars[12:] == [str(first), str(second)]


def luhn_valid(number: str) -> bool:
    """The Luhn check (ISO/IEC 7812) of a string of digits."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def valid_card(value: str) -> bool:
    """A payment-card number: 13 to 19 digits (spaces or dashes between groups), a known first digit, a valid Luhn
    digit."""
    value = str(value).strip()
    if not _CARD.match(value):
        return False
    number = digits(value)
    return 13 <= len(number) <= 19 and number[0] in "23456" and luhn_valid(number)


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(str(value).strip()))


def is_phone(value: str) -> bool:
    """A phone number, Brazilian (``(11) 91234-5678``, ``+55 11 91234 5678``) or international (``+44 20 7946 0958``):
    10 to 15 digits in groups; a bare run of digits counts only with a leading ``+``."""
    value = str(value).strip()
    count = len(digits(value))
    if not 10 <= count <= 15 or _DATE_LIKE.match(value) or not _PHONE.match(value):
        return False
    grouped = any(ch in value for ch in " ()-.") or value.startswith("+")
    return grouped and not valid_cpf(value)


def is_ip(value: str) -> bool:
    value = str(value).strip()
    if "." not in value and ":" not in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def looks_like_name(value: str) -> bool:
    """Two to six capitalised words (Portuguese connectors such as "da" allowed) that start with a common first
    name: "Maria da Silva", "John Smith"."""
    words = str(value).strip().split()
    if not 2 <= len(words) <= 6 or plain_word(words[0]) not in FIRST_NAMES:
        return False
    named = [w for w in words if w.lower() not in _CONNECTORS]
    return len(named) >= 2 and all(_NAME_TOKEN.match(w) for w in named)


# The content recognisers, strongest first: a value is counted for the first kind that takes it.
VALUE_RECOGNISERS = (
    ("email", is_email),
    ("cnpj", valid_cnpj),
    ("cpf", valid_cpf),
    ("card", valid_card),
    ("ip", is_ip),
    ("phone", is_phone),
    ("person_name", looks_like_name),
)


def plain_word(text: str) -> str:
    """Lower case without accents ("Endereço" → "endereco")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def name_words(column: object) -> list[str]:
    """A column name as plain words: split at anything not a letter or digit and at camelCase."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(column))
    return [w for w in re.split(r"[^0-9a-z]+", plain_word(text)) if w]


def kind_from_name(column: object) -> tuple[str, str] | None:
    """The kind of personal data a column's name announces, and the word that says so; None for other names."""
    words = name_words(column)
    joined = "".join(words)
    candidates = [*words, joined]
    for kind, vocabulary in _NAME_WORDS.items():
        for word in candidates:
            if word in vocabulary:
                return kind, word
    owners = [w for w in words if w in _OWNERS]
    if owners and any(w in _IDENTIFIERS for w in words):
        return "account", " ".join(words)
    return None
