# The built-in chat-model action imports OutputSchema from here.
from flink_agents.api.agents.types import OutputSchema as OutputSchema
from flink_agents.api.agents.agent import Agent

class ReActAgent(Agent): ...
