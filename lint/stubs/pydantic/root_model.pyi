# memlint knowledge stub: pydantic.root_model (re-export; defined in pydantic).
from pydantic import RootModel as RootModel
