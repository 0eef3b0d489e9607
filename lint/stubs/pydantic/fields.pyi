# memlint knowledge stub: pydantic.fields (re-exports; defined in pydantic).
from pydantic import Field as Field
from pydantic import PrivateAttr as PrivateAttr
from pydantic import computed_field as computed_field
