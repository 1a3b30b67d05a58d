"""server/agent"""
