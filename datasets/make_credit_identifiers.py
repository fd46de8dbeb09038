"""Add synthetic personal identifiers to credit.csv: nome, cpf, email, telefone (seeded; run from the project root
with ``python datasets/make_credit_identifiers.py``). Running it again gives the same file.

Every value is made up: names drawn from common Brazilian first names and surnames, CPF numbers drawn at random
with valid check digits, e-mail addresses at the reserved domains example.com / example.org / example.net
(RFC 2606), and mobile numbers in the Brazilian format. They let the dashboard show how it finds, keeps out of the
model and masks personal data without anyone uploading a table. A random valid CPF may, by chance, be a real
person's number; nothing in this file says anything about that person.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 17
COLUMNS = ("nome", "cpf", "email", "telefone")
CSV = Path(__file__).resolve().parent / "credit.csv"
FIRST_TEXT = ("Ana Maria José João Antônio Francisca Carlos Paulo Pedro Lucas Luiz Marcos Juliana Fernanda Patrícia "
              "Aline Camila Bruna Letícia Gabriel Rafael Daniel Marcelo Bruno Eduardo Felipe Rodrigo Mateus André "
              "Fernando Gustavo Leonardo Mariana Beatriz Larissa Renata Tatiana Helena Luana Vitor Sérgio Cláudia "
              "Simone Adriana Raimundo Sebastião Manoel Heloísa Cecília Otávio")
FIRST = FIRST_TEXT.split()
SURNAMES_TEXT = ("Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins "
                 "Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade Moreira Nunes "
                 "Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira Araújo Campos Batista")
SURNAMES = SURNAMES_TEXT.split()
AREA_CODES = (11, 12, 19, 21, 27, 31, 41, 47, 51, 61, 62, 71, 81, 85, 91, 92)
DOMAINS = ("example.com", "example.org", "example.net")


def cpf_digit(numbers: list[int]) -> int:
    rest = sum(n * w for n, w in zip(numbers, range(len(numbers) + 1, 1, -1), strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def make_cpf(rng: np.random.Generator) -> str:
    while True:
        base = [int(d) for d in rng.integers(0, 10, size=9)]
        if len(set(base)) > 1:
            break
    first = cpf_digit(base)
    numbers = [*base, first, cpf_digit([*base, first])]
    text = "".join(map(str, numbers))
    return f"{text[:3]}.{text[3:6]}.{text[6:9]}-{text[9:]}"


def ascii_word(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def identifiers(rows: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names, cpfs, emails, phones = [], [], [], []
    for i in range(rows):
        first = FIRST[rng.integers(len(FIRST))]
        middle, last = (SURNAMES[j] for j in rng.choice(len(SURNAMES), size=2, replace=False))
        connector = ("", "", "de ")[rng.integers(3)]
        names.append(f"{first} {connector}{middle} {last}")
        cpfs.append(make_cpf(rng))
        emails.append(f"{ascii_word(first)}.{ascii_word(last)}{i + 1}@{DOMAINS[rng.integers(len(DOMAINS))]}")
        area = AREA_CODES[rng.integers(len(AREA_CODES))]
        number = rng.integers(0, 10_000_0000)
        phones.append(f"({area}) 9{number // 10_000:04d}-{number % 10_000:04d}")
    return pd.DataFrame({"nome": names, "cpf": cpfs, "email": emails, "telefone": phones})


def main() -> None:
    frame = pd.read_csv(CSV, keep_default_na=False, dtype=str)  # every cell as written: nothing else changes
    frame = frame.drop(columns=[c for c in COLUMNS if c in frame.columns])
    made = identifiers(len(frame))
    at = list(frame.columns).index("rownames") + 1
    for offset, column in enumerate(COLUMNS):
        frame.insert(at + offset, column, made[column])
    frame.to_csv(CSV, index=False)


if __name__ == "__main__":
    main()
