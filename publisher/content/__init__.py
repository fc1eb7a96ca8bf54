"""Reading and checking the sources: find the files, load them with line numbers, validate them against
their models and each other, and check their bodies and attachments."""
