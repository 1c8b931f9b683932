"""Assembly: settings, CLI, building the Application, channel adapters and the local sandbox."""
