"""A Subsonic / OpenSubsonic client and the mapping of its songs to catalog fields (no Django)."""
