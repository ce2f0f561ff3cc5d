"""The dialogue's states."""

IDLE = "IDLE"
CHOOSING = "CHOOSING"
INTERVIEWING = "INTERVIEWING"
GENERATING = "GENERATING"
REVIEWING = "REVIEWING"
STATES = (IDLE, CHOOSING, INTERVIEWING, GENERATING, REVIEWING)
# In the state's data: the analysis last read (opened), which a principal's `reviewed` alone
# marks. Here, not in bot.opened, because bot.flagged_commands reads it too.
LAST_READ = "last_read"
