# memlint knowledge stub: pydantic.functional_validators (re-exports).
from pydantic import field_validator as field_validator
from pydantic import model_validator as model_validator
