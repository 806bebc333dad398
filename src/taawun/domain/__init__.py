"""The pure core: rules as functions of (policy, inputs).

No Django import here (a test enforces it).
"""
