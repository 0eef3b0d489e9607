# memlint knowledge stub: pydantic.functional_serializers (re-exports).
from pydantic import field_serializer as field_serializer
from pydantic import model_serializer as model_serializer
