# memlint knowledge stub: pydantic.config (re-export; defined in pydantic).
from pydantic import ConfigDict as ConfigDict
