#!/usr/bin/python3
"""Builds Phototag's label sets and category taxonomy from WordNet 3.0, offline.

Reads:
  models/build/upstream/imagenet/imagenet-1k-classes.tsv   (index, wnid, name; see the README next to it)
  <wordnet>/data.noun                                       (WordNet 3.0, default /usr/share/wordnet,
                                                             Debian package wordnet-base)
  models/build/upstream/coral-inat-species/inat_{bird,insect}_labels.txt
                                                            ("Scientific name (Common Name)" per line)

Writes (deterministic, UTF-8, LF line endings; categories sorted by id, labels in model output order, the ids
inside a cell sorted):
  models/label-sets/categories.tsv   id, name, synsets
  models/label-sets/imagenet-1k.tsv  index, id, name, aliases, categories
  models/label-sets/cifar-10.tsv     index, id, name, aliases, categories
  models/label-sets/inat-bird.tsv    index, id, name, aliases, categories (no categories: species only)
  models/label-sets/inat-insect.tsv

A species' id is its scientific name after a prefix ("bird:Haemorhous mexicanus"), its name the common name
("House Finch"), or the scientific name where the line has none; its aliases cell is the upstream line. Where two
lines share a common name (a species and one of its subspecies), both names get the scientific name after them, so
display names stay unique within a label set.

A class belongs to a category when the class synset itself, or any synset reached from it by following WordNet
hypernym pointers ("@" and instance hypernym "@i") transitively, is one of that category's synsets. A class may be
in several categories (a banana is Fruit and Food) or in none (an abacus).

The app sums class probabilities per category, so a broad category always scores at least as high as any category
it contains. That is why there is no catch-all "Animal", and why "Mammal" leaves out dogs and house cats (they have
their own categories): a photo of a beagle should read "Dog 94%", not "Animal 99%". A few narrower categories do
nest inside broader ones (Fruit in Food, Car in Vehicle, Mountain in Landscape) where both tags are what a phone
would show.

Usage:
  /usr/bin/python3 models/build/build_label_sets.py [--wordnet DIR] [--out DIR] [--check] [--report]
    --check   write nothing; exit 1 if the files under --out differ from what would be written
    --report  print per-category class counts, the uncategorised classes and the CIFAR-10 categories
The build fails if a category synset is not the WordNet 3.0 synset its entry names, if display names are not
unique, or if one of the MUST_HAVE / MUST_NOT_HAVE sanity checks below does not hold.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.dirname(HERE)
CLASS_TABLE = os.path.join(HERE, 'upstream', 'imagenet', 'imagenet-1k-classes.tsv')
DEFAULT_WORDNET = '/usr/share/wordnet'
DEFAULT_OUT = os.path.join(MODELS_DIR, 'label-sets')

# ---------------------------------------------------------------------------------------------------------------
# Categories: (id, display name, [(wnid, one lemma of that synset, checked against WordNet), ...]).
# Ids are lowercase slugs; names are what the app shows ("Dog 94%"). Order here is only for reading:
# categories.tsv is sorted by id.
# ---------------------------------------------------------------------------------------------------------------
CATEGORIES: list[tuple[str, str, list[tuple[str, str]]]] = [
    # --- Animals ---------------------------------------------------------------------------------------------
    ('dog', 'Dog', [('n02084071', 'dog')]),  # all 118 ImageNet breeds; not wolves, foxes or wild dogs
    ('cat', 'Cat', [('n02121808', 'domestic_cat')]),  # house cats only; big cats, lynx, cougar are Mammal
    # Mammals other than dogs and house cats: WordNet's mammal subtree split just below where it would reach
    # dog or domestic_cat, so that a dog photo reads Dog rather than Mammal (scores sum per category).
    ('mammal', 'Mammal', [
        ('n01871265', 'tusker'),            # "tusker" hangs directly off mammal in WordNet
        ('n01871543', 'prototherian'),      # monotremes: platypus, echidna
        ('n01873982', 'metatherian'),       # marsupials: koala, wallaby, wombat
        ('n02062017', 'aquatic_mammal'),    # whales, dugong, sea lion
        ('n02114100', 'wolf'),
        ('n02115335', 'wild_dog'),          # dingo, dhole, African hunting dog
        ('n02117135', 'hyena'),
        ('n02118333', 'fox'),
        ('n02124623', 'wildcat'),           # cougar, lynx
        ('n02127808', 'big_cat'),           # lion, tiger, leopard, jaguar, cheetah, snow leopard
        ('n02131653', 'bear'),
        ('n02134971', 'viverrine'),         # mongoose, meerkat
        ('n02323449', 'lagomorph'),         # rabbits, hares
        ('n02329401', 'rodent'),
        ('n02370806', 'ungulate'),          # horses, zebra, pigs, cattle, sheep, deer, camels, hippo...
        ('n02441326', 'musteline_mammal'),  # weasel, otter, badger, skunk...
        ('n02453611', 'edentate'),          # armadillo, sloth
        ('n02469914', 'primate'),           # apes, monkeys, lemurs
        ('n02503127', 'proboscidean'),      # elephants
        ('n02507649', 'procyonid'),         # red panda, giant panda
    ]),
    ('bird', 'Bird', [('n01503061', 'bird')]),
    ('fish', 'Fish', [('n02512053', 'fish')]),  # includes sharks and rays
    # Phones say "Insect" for spiders and centipedes too: colloquially, bugs.
    ('insect', 'Insect', [('n02159955', 'insect'), ('n01769347', 'arachnid'), ('n01784675', 'centipede')]),
    ('reptile', 'Reptile', [('n01661091', 'reptile')]),  # snakes, lizards, turtles, crocodilians, triceratops
    ('amphibian', 'Amphibian', [('n01627424', 'amphibian')]),  # frogs, newts, salamanders
    # Marine animals without a category of their own (fish are Fish).
    ('sea-life', 'Sea life', [
        ('n01909422', 'coelenterate'),       # jellyfish, sea anemone, coral
        ('n02316707', 'echinoderm'),         # starfish, sea urchin, sea cucumber
        ('n01976146', 'decapod_crustacean'), # crabs, lobsters, crayfish
        ('n01968315', 'cephalopod'),         # nautilus
        ('n01943899', 'conch'),
        ('n01950731', 'sea_slug'),
        ('n01955084', 'chiton'),
        ('n02062017', 'aquatic_mammal'),     # whales, dugong, sea lion (also Mammal)
    ]),
    # --- Plants and food -------------------------------------------------------------------------------------
    ('flower', 'Flower', [('n11669921', 'flower')]),  # flowering plant grown for its blooms: daisy, orchids
    ('plant', 'Plant', [
        ('n00017222', 'plant'),
        ('n13135832', 'seed'),   # rapeseed, corn, buckeye
        ('n12267677', 'acorn'),  # botanical fruits found outdoors; "fruit" (n13134947) itself would also
        ('n12620546', 'hip'),    # take in bananas and oranges
        ('n13133613', 'ear'),    # ear of grain
    ]),
    ('mushroom', 'Mushroom', [('n12992868', 'fungus'), ('n07734744', 'mushroom')]),
    ('fruit', 'Fruit', [('n07705931', 'edible_fruit')]),
    ('vegetable', 'Vegetable', [('n07707451', 'vegetable')]),
    # Food without drinks: WordNet's food/nutrient (n00021265) would also take in beverages, hay (fodder) and
    # ImageNet's "menu" (the fare, n07565083), so these three narrower synsets are used instead.
    ('food', 'Food', [
        ('n07555863', 'solid_food'),  # produce: fruit, vegetables
        ('n07566340', 'foodstuff'),   # bread, sauces, dough
        ('n07570720', 'nutriment'),   # dishes, desserts, sandwiches, pizza
    ]),
    ('drink', 'Drink', [
        ('n07881800', 'beverage'),     # espresso, red wine, eggnog, cup (punch)
        ('n02823428', 'beer_bottle'),  # bottles and glasses that are photographed full
        ('n04591713', 'wine_bottle'),
        ('n03983396', 'pop_bottle'),
        ('n02823750', 'beer_glass'),
    ]),
    # --- Vehicles --------------------------------------------------------------------------------------------
    # Vehicle is land vehicles; aircraft and boats have their own categories and are not also Vehicle.
    # WordNet's wheeled_vehicle (n04576211) also takes in handcarts (wheelbarrow, shopping cart), so it is
    # listed here by its other hyponyms.
    ('vehicle', 'Vehicle', [
        ('n04170037', 'self-propelled_vehicle'),  # cars, trucks, motorbikes, locomotives, tractor, tank
        ('n02834778', 'bicycle'),
        ('n04482393', 'tricycle'),
        ('n04509417', 'unicycle'),
        ('n03791053', 'motor_scooter'),
        ('n02959942', 'railcar'),
        ('n04467099', 'trailer'),           # mobile home
        ('n04543158', 'wagon'),             # horse cart, oxcart, rickshaw
        ('n04235291', 'sled'),
        ('n04019101', 'public_transport'),  # buses and trains are not wheeled_vehicle in WordNet
    ]),
    ('car', 'Car', [('n02958343', 'car')]),  # motor car: sports car, cab, limousine, jeep, minivan...
    ('train', 'Train', [
        ('n04468005', 'train'),
        ('n03684823', 'locomotive'),
        ('n02959942', 'railcar'),
        ('n04335435', 'streetcar'),
    ]),
    ('aircraft', 'Aircraft', [
        ('n02686568', 'aircraft'),
        ('n04264914', 'spacecraft'),  # space shuttle
        ('n04592741', 'wing'),        # ImageNet "wing": airplane wings
    ]),
    ('boat', 'Boat', [('n04530566', 'watercraft')]),  # boats and ships
    # --- Places --------------------------------------------------------------------------------------------
    ('building', 'Building', [
        ('n02913152', 'building'),
        ('n03546340', 'housing'),        # yurt, cliff dwelling, mobile home, palace
        ('n03297735', 'establishment'),  # shops, prison
        ('n02914991', 'building_complex'),
        ('n03385557', 'fortification'),  # castle
        ('n04105068', 'roof'),           # dome, thatch, tile roof, vault
        ('n04460130', 'tower'),          # beacon (lighthouse)
    ]),
    ('bridge', 'Bridge', [('n02898711', 'bridge')]),
    ('landscape', 'Landscape', [('n09287968', 'geological_formation')]),  # cliff, valley, shore, volcano...
    ('mountain', 'Mountain', [
        ('n09359803', 'mountain'),  # alp, volcano
        ('n09246464', 'cliff'),
        ('n09468604', 'valley'),
    ]),
    ('beach-sea', 'Beach & sea', [
        ('n09428293', 'seashore'),
        ('n09421951', 'sandbar'),
        ('n09256479', 'coral_reef'),
        ('n09399592', 'promontory'),
        ('n02894605', 'breakwater'),
    ]),
    # Snow is not a WordNet kind of anything, so this is the things that are all about snow.
    ('snow', 'Snow', [
        ('n09193705', 'alp'),
        ('n04228054', 'ski'),
        ('n04235291', 'sled'),  # dogsled, bobsled
        ('n04252077', 'snowmobile'),
        ('n04252225', 'snowplow'),
    ]),
    # --- Things --------------------------------------------------------------------------------------------
    ('furniture', 'Furniture', [('n03405725', 'furniture')]),
    # WordNet's clothing (n03051540) also takes in "accessory" > belt > seat belt, so it is listed here by its
    # other hyponyms.
    ('clothing', 'Clothing', [
        ('n03419014', 'garment'),             # dresses, coats, swimwear, ties, sweaters
        ('n02728440', 'apparel'),             # jeans
        ('n02756098', 'attire'),              # mask, wig
        ('n03502509', 'headdress'),           # hats, caps, helmets
        ('n03490324', 'handwear'),
        ('n03381126', 'footwear'),            # hosiery: socks, stockings, tights
        ('n03380867', 'footgear'),            # shoes and boots are "covering", not clothing, in WordNet
        ('n03825080', 'nightwear'),
        ('n03859495', 'outerwear'),
        ('n04015204', 'protective_garment'),  # apron, knee pad
        ('n04509592', 'uniform'),
        ('n04596852', "woman's_clothing"),
    ]),
    ('electronics', 'Electronics', [
        ('n03278248', 'electronic_equipment'),  # phones, players, keyboard, monitor, printer, modem
        ('n03277771', 'electronic_device'),     # mouse, screen
        ('n03196324', 'digital_computer'),      # desktop, laptop, notebook, hand-held
        ('n02942699', 'camera'),
        ('n04404412', 'television'),
        ('n04041544', 'radio'),
        ('n02757462', 'audio_system'),
        ('n03274561', 'electro-acoustic_transducer'),  # loudspeaker, microphone
        ('n04074963', 'remote_control'),
        ('n03744840', 'memory_device'),         # hard disc
        ('n03924679', 'photocopier'),
        ('n04009552', 'projector'),
    ]),
    ('appliance', 'Home appliance', [
        ('n02729837', 'appliance'),  # washer, vacuum, iron, hair dryer, sewing machine, kitchen appliances
        ('n03271574', 'electric_fan'),
        ('n04265275', 'space_heater'),
    ]),
    ('kitchen', 'Kitchenware', [
        ('n03621049', 'kitchen_utensil'),    # pots, pans, wok, teapot, spatula
        ('n03620052', 'kitchen_appliance'),  # toaster, microwave, espresso maker
        ('n02880940', 'bowl'),               # mixing bowl, soup bowl (not tableware: that takes in Petri dish)
        ('n03153375', 'eating_utensil'),     # wooden spoon
        ('n04070727', 'refrigerator'),
        ('n03207941', 'dishwasher'),
        ('n04330267', 'stove'),
        ('n03241496', 'drinking_vessel'),    # coffee mug
        ('n03438257', 'drinking_glass'),     # beer glass, goblet
        ('n03633091', 'ladle'),
        ('n04332243', 'strainer'),
        ('n03733805', 'measuring_cup'),
        ('n03062245', 'cocktail_shaker'),
        ('n04131690', 'saltshaker'),
        ('n03950228', 'pitcher'),
        ('n03961711', 'plate_rack'),
        ('n02951585', 'can_opener'),
        ('n03109150', 'corkscrew'),
        ('n03041632', 'cleaver'),
        ('n03786901', 'mortar'),  # mortar and pestle
        ('n04476259', 'tray'),
        ('n03207743', 'dishrag'),
    ]),
    ('musical-instrument', 'Musical instrument', [('n03800933', 'musical_instrument')]),
    ('sports', 'Sports', [
        ('n04285146', 'sports_equipment'),  # gym apparatus, weights, baseball, basketball, golf
        ('n02778669', 'ball'),              # game balls, punching bag
        ('n04285622', 'sports_implement'),  # racket
        ('n09820263', 'athlete'),           # ballplayer
        ('n04228054', 'ski'),
        ('n04019541', 'puck'),
        ('n04149813', 'scoreboard'),
        ('n03379051', 'football_helmet'),
        ('n03982430', 'pool_table'),
    ]),
    ('toy', 'Toy', [
        ('n03964744', 'plaything'),  # teddy bear, swing
        ('n03598930', 'jigsaw_puzzle'),
        ('n03944341', 'pinwheel'),
    ]),
    ('tool', 'Tool', [
        ('n04451818', 'tool'),  # hand tools, power tools, garden tools, plow
        ('n02966687', "carpenter's_kit"),
    ]),
    ('people', 'People', [('n00007846', 'person')]),  # scuba diver, groom, ballplayer
    # Paper and screens with text on them.
    ('document', 'Document', [
        ('n06359193', 'web_site'),
        ('n06596364', 'comic_book'),
        ('n06785654', 'crossword_puzzle'),
        ('n07248320', 'book_jacket'),
        ('n07565083', 'menu'),
    ]),
]

# ---------------------------------------------------------------------------------------------------------------
# ImageNet display names. By default a class is named after the first of its names in the class table, with the
# first letter capitalised and the rest kept as written (so "German shepherd", "Egyptian cat" stay capitalised).
# These overrides give an everyday name where the first name is odd, technical or ambiguous; and they make names
# unique (ImageNet has two "crane", two "maillot", and a "Cardigan" corgi next to a "cardigan" sweater).
# ---------------------------------------------------------------------------------------------------------------
DISPLAY_NAMES: dict[str, str] = {
    # duplicates in the class table
    'n02012849': 'Crane (bird)',
    'n03126707': 'Crane (machine)',
    'n03710637': 'Maillot (tights)',
    'n03710721': 'Maillot (swimsuit)',
    'n02113186': 'Cardigan Welsh corgi',  # vs n02963159 cardigan, the sweater
    'n02113023': 'Pembroke Welsh corgi',
    # animals
    'n01514668': 'Rooster',  # cock
    'n01608432': 'Kite (bird)',
    'n01601694': 'Dipper',  # water ouzel
    'n01664065': 'Loggerhead turtle',
    'n01755581': 'Diamondback rattlesnake',
    'n01817953': 'African grey parrot',
    'n02088238': 'Basset hound',
    'n02088632': 'Bluetick coonhound',
    'n02090379': 'Redbone coonhound',
    'n02096051': 'Airedale terrier',
    'n02096177': 'Cairn terrier',
    'n02096437': 'Dandie Dinmont terrier',
    'n02096585': 'Boston terrier',  # Boston bull
    'n02097298': 'Scottish terrier',  # Scotch terrier
    'n02098413': 'Lhasa apso',
    'n02101556': 'Clumber spaniel',
    'n02102040': 'English springer spaniel',
    'n02110063': 'Alaskan malamute',
    'n02110341': 'Dalmatian',
    'n02111129': 'Leonberger',
    'n02112137': 'Chow chow',
    'n02113978': 'Mexican hairless dog',
    'n02116738': 'African wild dog',  # African hunting dog
    'n02123045': 'Tabby cat',
    'n02134084': 'Polar bear',  # ice bear
    'n02231487': 'Stick insect',  # walking stick
    'n02276258': 'Admiral butterfly',
    'n02277742': 'Ringlet butterfly',
    'n02279972': 'Monarch butterfly',
    'n02281787': 'Lycaenid butterfly',
    'n02325366': 'Cottontail rabbit',  # wood rabbit
    'n02328150': 'Angora rabbit',
    'n02389026': 'Sorrel horse',
    'n02395406': 'Pig',  # hog
    'n02489166': 'Proboscis monkey',
    'n02492035': 'Capuchin monkey',
    'n02493509': 'Titi monkey',
    'n02486261': 'Patas monkey',
    'n02509815': 'Red panda',  # lesser panda
    'n02497673': 'Ring-tailed lemur',  # Madagascar cat
    'n02655020': 'Pufferfish',  # puffer
    'n02536864': 'Coho salmon',
    # objects
    'n02704792': 'Amphibious vehicle',  # amphibian
    'n02747177': 'Trash can',  # ashcan
    'n02783161': 'Ballpoint pen',
    'n02788148': 'Banister',  # bannister
    'n02797295': 'Wheelbarrow',  # barrow
    'n02814533': 'Station wagon',  # beach wagon
    'n02814860': 'Lighthouse',  # beacon
    'n02835271': 'Tandem bicycle',  # bicycle-built-for-two
    'n02840245': 'Ring binder',
    'n02892201': 'Memorial plaque',  # brass
    'n02892767': 'Bra',  # brassiere
    'n02930766': 'Taxi',  # cab
    'n02939185': 'Cauldron',  # caldron
    'n02977058': 'ATM',  # cash machine
    'n02992529': 'Mobile phone',  # cellular telephone
    'n03000684': 'Chainsaw',
    'n03016953': 'Chest of drawers',  # chiffonier
    'n03089624': 'Candy store',  # confectionery
    'n03187595': 'Rotary phone',  # dial telephone
    'n03207743': 'Dishcloth',  # dishrag
    'n03337140': 'Filing cabinet',  # file
    'n03345487': 'Fire truck',  # fire engine
    'n03388549': 'Four-poster bed',
    'n03424325': 'Gas mask',
    'n03445924': 'Golf cart',
    'n03459775': 'Radiator grille',
    'n03483316': 'Hair dryer',  # hand blower
    'n03485407': 'Handheld computer',
    'n03492542': 'Hard disk',
    'n03584254': 'iPod',
    'n03584829': 'Clothes iron',  # iron
    'n03594734': 'Jeans',  # jean
    'n03595614': 'T-shirt',  # jersey
    'n03599486': 'Rickshaw',  # jinrikisha
    'n03673027': 'Ocean liner',  # liner
    'n03697007': 'Sawmill',  # lumbermill
    'n03742115': 'Medicine cabinet',  # medicine chest
    'n03793489': 'Computer mouse',  # mouse
    'n03825788': 'Baby bottle nipple',
    'n03832673': 'Notebook computer',  # notebook
    'n03854065': 'Pipe organ',  # organ
    'n03877472': 'Pajamas',  # pajama
    'n03895866': 'Passenger railcar',  # passenger car
    'n03902125': 'Payphone',  # pay-phone
    'n03929660': 'Guitar pick',  # pick
    'n03930630': 'Pickup truck',  # pickup
    'n03947888': 'Pirate ship',  # pirate
    'n03954731': 'Hand plane',  # plane
    'n03983396': 'Soda bottle',  # pop bottle
    'n03991062': 'Flowerpot',  # pot
    'n04019541': 'Hockey puck',  # puck
    'n04033901': 'Quill pen',
    'n04037443': 'Race car',  # racer
    'n04116512': 'Eraser',  # rubber eraser
    'n04118776': 'Ruler',  # rule
    'n04131690': 'Salt shaker',
    'n04141076': 'Saxophone',  # sax
    'n04141975': 'Weighing scale',  # scale
    'n04152593': 'CRT screen',  # screen
    'n04243546': 'Slot machine',  # slot
    'n04344873': 'Sofa bed',  # studio couch
    'n04367480': 'Mop',  # swab
    'n04399382': 'Teddy bear',  # teddy
    'n04417672': 'Thatched roof',  # thatch
    'n04462240': 'Toy shop',  # toyshop
    'n04515003': 'Upright piano',  # upright
    'n04517823': 'Vacuum cleaner',  # vacuum
    'n04554684': 'Washing machine',  # washer
    'n04606251': 'Shipwreck',  # wreck
    'n06359193': 'Website',  # web site
    'n06785654': 'Crossword',  # crossword puzzle
    'n07711569': 'Mashed potatoes',
    'n07714571': 'Cabbage',  # head cabbage
    'n07871810': 'Meatloaf',  # meat loaf
    'n07875152': 'Pot pie',  # potpie
    'n09835506': 'Baseball player',  # ballplayer
    'n12620546': 'Rose hip',  # hip
    'n13133613': 'Ear of corn',  # ear
    'n15075141': 'Toilet paper',  # toilet tissue
}

# CIFAR-10 in its output order: (class name, display name, WordNet 3.0 synset used to derive its categories).
CIFAR_10: list[tuple[str, str, str, str]] = [
    ('airplane', 'Airplane', 'n02691156', 'airplane'),
    ('automobile', 'Automobile', 'n02958343', 'car'),
    ('bird', 'Bird', 'n01503061', 'bird'),
    ('cat', 'Cat', 'n02121808', 'domestic_cat'),  # CIFAR-10 cats are house cats
    ('deer', 'Deer', 'n02430045', 'deer'),
    ('dog', 'Dog', 'n02084071', 'dog'),
    ('frog', 'Frog', 'n01639765', 'frog'),
    ('horse', 'Horse', 'n02374451', 'horse'),
    ('ship', 'Ship', 'n04194289', 'ship'),
    ('truck', 'Truck', 'n04490091', 'truck'),
]

# The iNaturalist species label sets: (label set id, tag id prefix, upstream label file). The file lists the model's
# outputs in order, and its LAST line is "background": not a label (the manifests say backgroundClass "last").
INAT_SPECIES: list[tuple[str, str, str]] = [
    ('inat-bird', 'bird', os.path.join(HERE, 'upstream', 'coral-inat-species', 'inat_bird_labels.txt')),
    ('inat-insect', 'insect', os.path.join(HERE, 'upstream', 'coral-inat-species', 'inat_insect_labels.txt')),
]

# Sanity checks that must hold, or the build fails: (wnid, categories it must have). Not exhaustive.
MUST_HAVE: list[tuple[str, set[str]]] = [
    ('n02099601', {'dog'}),                    # golden retriever
    ('n02123045', {'cat'}),                    # tabby
    ('n07697537', {'food'}),                   # hotdog
    ('n01818515', {'bird'}),                   # macaw
    ('n11939491', {'flower', 'plant'}),        # daisy
    ('n04389033', {'vehicle'}),                # tank
    ('n02690373', {'aircraft'}),               # airliner
    ('n09428293', {'beach-sea', 'landscape'}), # seashore
    ('n09246464', {'mountain', 'landscape'}),  # cliff
    ('n09468604', {'mountain', 'landscape'}),  # valley
    ('n09472597', {'mountain', 'landscape'}),  # volcano
    ('n09193705', {'mountain', 'landscape', 'snow'}),  # alp
    ('n03763968', {'clothing'}),               # military uniform
    ('n07753592', {'fruit', 'food'}),          # banana
    ('n04254680', {'sports'}),                 # soccer ball
    ('n03272010', {'musical-instrument'}),     # electric guitar
    ('n02129165', {'mammal'}),                 # lion
    ('n02504458', {'mammal'}),                 # African elephant
    ('n04285008', {'car', 'vehicle'}),         # sports car
    ('n03095699', {'boat'}),                   # container ship
    ('n03584829', {'appliance'}),              # iron
    ('n04442312', {'appliance', 'kitchen'}),   # toaster
]
MUST_NOT_HAVE: list[tuple[str, set[str]]] = [
    ('n02099601', {'mammal'}),              # a dog reads Dog, not Mammal
    ('n02123045', {'mammal'}),
    ('n02129165', {'cat'}),                 # lion: not a house cat
    ('n02690373', {'vehicle'}),             # airliner: Aircraft only
    ('n07920052', {'food'}),                # espresso: Drink, not Food
    ('n07565083', {'food'}),                # menu
    ('n07802026', {'food'}),                # hay
    ('n04162706', {'clothing'}),            # seat belt
    ('n03920288', {'kitchen'}),             # Petri dish
    ('n04204347', {'vehicle'}),             # shopping cart
]


# ---------------------------------------------------------------------------------------------------------------


class WordNet:
    """The noun synsets of WordNet 3.0's data.noun: lemmas and hypernym pointers, keyed by wnid ("n02084071")."""

    def __init__(self, directory: str):
        path = os.path.join(directory, 'data.noun')
        if not os.path.isfile(path):
            sys.exit(f'{path} not found: install WordNet 3.0 (Debian: wordnet-base) or pass --wordnet DIR')
        self.lemmas: dict[str, list[str]] = {}
        self.hypernyms: dict[str, list[str]] = {}
        version_ok = False
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.startswith('  '):  # licence header
                    if 'WordNet 3.0' in line:
                        version_ok = True
                    continue
                fields = line.split(' | ', 1)[0].split()
                offset, word_count = fields[0], int(fields[3], 16)
                words = [fields[4 + 2 * i] for i in range(word_count)]
                i = 4 + 2 * word_count
                pointer_count = int(fields[i])
                i += 1
                hypernyms = []
                for _ in range(pointer_count):
                    symbol, target, pos = fields[i], fields[i + 1], fields[i + 2]
                    i += 4
                    if symbol in ('@', '@i') and pos == 'n':
                        hypernyms.append('n' + target)
                self.lemmas['n' + offset] = words
                self.hypernyms['n' + offset] = hypernyms
        if not version_ok:
            sys.exit(f'{path}: not WordNet 3.0 (ImageNet wnids are WordNet 3.0 offsets)')
        self._ancestors: dict[str, frozenset[str]] = {}

    def check(self, wnid: str, lemma: str) -> None:
        if wnid not in self.lemmas:
            sys.exit(f'{wnid} is not a WordNet 3.0 noun synset')
        if lemma.lower() not in (word.lower() for word in self.lemmas[wnid]):
            sys.exit(f'{wnid} is {self.lemmas[wnid]}, not "{lemma}"')

    def ancestors(self, wnid: str) -> frozenset[str]:
        """The synset and everything above it, following hypernym and instance-hypernym pointers transitively."""
        if wnid not in self._ancestors:
            seen = {wnid}
            stack = [wnid]
            while stack:
                for parent in self.hypernyms[stack.pop()]:
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            self._ancestors[wnid] = frozenset(seen)
        return self._ancestors[wnid]


def categories_of(wordnet: WordNet, wnid: str) -> list[str]:
    above = wordnet.ancestors(wnid)
    return sorted(cid for cid, _, synsets in CATEGORIES if any(s in above for s, _ in synsets))


def sentence_case(name: str) -> str:
    return name[:1].upper() + name[1:]


def read_class_table(path: str) -> list[tuple[int, str, str]]:
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    if lines[0].split('\t') != ['index', 'wnid', 'name']:
        sys.exit(f'{path}: unexpected header {lines[0]!r}')
    rows = []
    for n, line in enumerate(lines[1:]):
        index, wnid, name = line.split('\t')
        if int(index) != n:
            sys.exit(f'{path}: row {n} has index {index}')
        rows.append((n, wnid, name.strip()))
    return rows


def species_rows(prefix: str, path: str) -> list[list[str]]:
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()
    if not lines or lines[-1] != 'background' or 'background' in lines[:-1]:
        sys.exit(f'{path}: "background" must be the last line and only there')
    species = []
    for line in lines[:-1]:
        # "Circus cyaneus hudsonius (Northern Harrier (American))": the common name may hold parentheses itself
        match = re.fullmatch(r'(\S.*?) \((.+)\)', line)
        scientific, common = (match.group(1), match.group(2)) if match else (line.strip(), None)
        species.append((scientific, common or scientific, line))
    shared = Counter(name.lower() for _, name, _ in species)
    rows = []
    for index, (scientific, name, line) in enumerate(species):
        if shared[name.lower()] > 1 and name != scientific:
            name = f'{name} ({scientific})'
        rows.append([str(index), f'{prefix}:{scientific}', name, line, ''])
    ids = Counter(row[1] for row in rows)
    if max(ids.values()) > 1:
        sys.exit(f'{path}: scientific names not unique: {sorted(i for i, n in ids.items() if n > 1)}')
    return rows


def tsv(header: list[str], rows: list[list[str]]) -> str:
    for row in [header, *rows]:
        for cell in row:
            if any(c in cell for c in '\t\r\n'):
                sys.exit(f'cell {cell!r} holds a tab or line break')
    return ''.join('\t'.join(row) + '\n' for row in [header, *rows])


def build(wordnet_dir: str) -> tuple[dict[str, str], dict]:
    wordnet = WordNet(wordnet_dir)

    ids = [cid for cid, _, _ in CATEGORIES]
    if len(set(ids)) != len(ids):
        sys.exit('duplicate category id')
    for cid, name, synsets in CATEGORIES:
        if not synsets or cid != cid.lower() or ' ' in cid:
            sys.exit(f'bad category {cid!r}')
        for wnid, lemma in synsets:
            wordnet.check(wnid, lemma)
    categories_rows = [
        [cid, name, ','.join(sorted({wnid for wnid, _ in synsets}))] for cid, name, synsets in sorted(CATEGORIES)
    ]

    classes = read_class_table(CLASS_TABLE)
    known = {wnid for _, wnid, _ in classes}
    for wnid in DISPLAY_NAMES:
        if wnid not in known:
            sys.exit(f'DISPLAY_NAMES: {wnid} is not an ImageNet-1k class')
    imagenet = []
    for index, wnid, aliases in classes:
        if wnid not in wordnet.lemmas:
            sys.exit(f'{wnid} ({aliases}) is not in WordNet 3.0')
        name = DISPLAY_NAMES.get(wnid) or sentence_case(aliases.split(',')[0].strip())
        imagenet.append([str(index), wnid, name, aliases, ','.join(categories_of(wordnet, wnid))])

    cifar = []
    for index, (cid, name, wnid, lemma) in enumerate(CIFAR_10):
        wordnet.check(wnid, lemma)
        cifar.append([str(index), cid, name, '', ','.join(categories_of(wordnet, wnid))])

    species = {label: species_rows(prefix, path) for label, prefix, path in INAT_SPECIES}

    for label, rows in (('imagenet-1k', imagenet), ('cifar-10', cifar), *species.items()):
        seen = Counter(row[2].lower() for row in rows)
        duplicates = sorted(name for name, count in seen.items() if count > 1)
        if duplicates:
            sys.exit(f'{label}: display names not unique: {duplicates}')

    by_wnid = {row[1]: set(filter(None, row[4].split(','))) for row in imagenet}
    for wnid, want in MUST_HAVE:
        if not want <= by_wnid[wnid]:
            sys.exit(f'sanity check: {wnid} has {sorted(by_wnid[wnid])}, missing {sorted(want - by_wnid[wnid])}')
    for wnid, unwanted in MUST_NOT_HAVE:
        if unwanted & by_wnid[wnid]:
            sys.exit(f'sanity check: {wnid} should not have {sorted(unwanted & by_wnid[wnid])}')

    header = ['index', 'id', 'name', 'aliases', 'categories']
    files = {
        'categories.tsv': tsv(['id', 'name', 'synsets'], categories_rows),
        'imagenet-1k.tsv': tsv(header, imagenet),
        'cifar-10.tsv': tsv(header, cifar),
        **{f'{label}.tsv': tsv(header, rows) for label, rows in species.items()},
    }
    return files, {'imagenet': imagenet, 'cifar': cifar}


def report(tables: dict) -> None:
    imagenet, cifar = tables['imagenet'], tables['cifar']
    counts = Counter(c for row in imagenet for c in filter(None, row[4].split(',')))
    names = {cid: name for cid, name, _ in CATEGORIES}
    print(f'{"category":<20} {"name":<20} classes')
    for cid in sorted(names):
        print(f'{cid:<20} {names[cid]:<20} {counts[cid]:>4}')
    none = [row for row in imagenet if not row[4]]
    print(f'in no category: {len(none)} of {len(imagenet)}')
    print('  ' + ', '.join(row[2] for row in none))
    print('cifar-10:')
    for row in cifar:
        print(f'  {row[1]:<12} {row[4]}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--wordnet', default=DEFAULT_WORDNET, help='directory holding WordNet 3.0 data.noun')
    parser.add_argument('--out', default=DEFAULT_OUT, help='output directory (default models/label-sets)')
    parser.add_argument('--check', action='store_true', help='exit 1 if the output files are not up to date')
    parser.add_argument('--report', action='store_true', help='print category counts and uncategorised classes')
    args = parser.parse_args()

    files, tables = build(args.wordnet)
    if args.report:
        report(tables)
    stale = []
    for name, text in sorted(files.items()):
        path = os.path.join(args.out, name)
        data = text.encode('utf-8')
        try:
            with open(path, 'rb') as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == data:
            continue
        stale.append(path)
        if not args.check:
            os.makedirs(args.out, exist_ok=True)
            with open(path, 'wb') as f:
                f.write(data)
            print(f'wrote {os.path.relpath(path)}')
    if args.check and stale:
        sys.exit('out of date: ' + ', '.join(os.path.relpath(p) for p in stale))


if __name__ == '__main__':
    main()
