"""What the annotate tests feed the pipeline: entity-ruler patterns and raw texts."""

# entities the ruler always finds, so that offsets and relations are tested on real ones
ANNOTATE_PATTERNS = (
    [{"label": "Application", "pattern": name} for name in ("SPSS", "Stata", "ImageJ", "GraphPad Prism")]
    + [{"label": "Version", "pattern": version} for version in ("22", "15.1", "8")]
    + [{"label": "Developer", "pattern": developer} for developer in ("IBM", "StataCorp", "Müller & Söhne")]
)
ANNOTATE_TEXTS = [
    "We used SPSS version 22 (IBM) for the analysis.  Statistics used Stata 15.1 (StataCorp, College Station, TX).",
    "Images were processed with ImageJ\t(https://imagej.nih.gov/ij/).\nAll participants gave consent.",
    "Ünïcode first: GraphPad Prism 8 (Müller & Söhne)\n\n was used. \t Results are shown in Table 2.",
    "Data were stored at -80 degrees.",
    "  Leading white space, then SPSS 22 and\r\nStata  15.1 on one line.  ",
    "The samples (n = 12) were analysed with SPSS.",
]
