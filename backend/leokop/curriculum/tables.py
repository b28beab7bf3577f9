"""Tables of the curriculum feature: occupations (Ausbildungsberufe)."""

from piccolo.columns import Integer, Varchar
from piccolo.table import Table


class Occupation(Table):
    """An Ausbildungsberuf, loaded from the official data in curriculum/data/."""

    slug = Varchar(length=80, unique=True)
    name = Varchar(length=200)
    name_neutral = Varchar(length=200)
    regulation = Varchar(length=300)
    duration_months = Integer()
