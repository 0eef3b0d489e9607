# memlint knowledge stub: pydantic.main (re-exports; defined in pydantic).
from pydantic import BaseModel as BaseModel
from pydantic import create_model as create_model
