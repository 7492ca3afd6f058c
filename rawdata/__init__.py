"""Raw data acquisition below every TFX stage: checksummed downloads, safe archives, locators."""
