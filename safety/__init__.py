"""The domain, channel-neutral: it never imports telegram and takes time as `now`."""
