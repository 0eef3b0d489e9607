# memlint knowledge stub: package marker. The real flink_agents __init__
# modules re-export nothing; import from the defining modules.
