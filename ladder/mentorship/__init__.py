"""Mentorship: pairings, feedback notes, 1:1s, goals and the timeline."""
