"""Peer feedback: asking colleagues, answering and declining, reading the answers."""
