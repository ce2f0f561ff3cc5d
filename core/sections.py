"""The five sections of an analysis, named once for the whole code base."""

LIST_SECTIONS = ("strengths", "weaknesses", "recommendations")
SECTIONS = (*LIST_SECTIONS, "learningStyle", "confidence")
# What a teacher may rewrite in the chat (confidence is the model's own estimate).
EDITABLE_SECTIONS = (*LIST_SECTIONS, "learningStyle")
