"""The grant domain: the GrantPosition aggregate, its events and the funding rules.

Pure Python: imports no SQLAlchemy, click or storage module (dependencies point inward).
"""
